#include "spec/spec_fields.h"

#include <map>
#include <nlohmann/json.hpp>
#include <regex>

#include "spec/experiment_spec.h"

namespace slimlab {

std::vector<FieldInfo> spec_fields(const nlohmann::json& spec) {
  FieldRecorder recorder;
  spec_from_json(spec);
  return recorder.fields;
}

std::string field_help(const std::string& path) {
  // Tooltips of the spec form. Formulas as REFERENCES.md states them (SlimLab's conventions).
  static const std::map<std::string, std::string> kHelp = {
      {"name", "Run name shown in lists; need not be unique."},
      {"seed",
       "Seeds weights, shuffling, splits, dropout and generated data: same seed, same run."},
      {"data.dataset",
       "fashion-mnist and mnist from Debian's packages, any IDX directory, a "
       "2-D teaching set (spirals, moons, circles, blobs, xor), or csv: a directory with "
       "train.csv and test.csv (numeric feature columns and a label column)."},
      {"data.validation_share", "Share of the training set held out for validation (0 to 0.9)."},
      {"data.batch_size", "Examples per optimiser step."},
      {"data.train_subset", "Train on only this many examples (0 = all): quick classroom runs."},
      {"data.noise", "2-D sets: standard deviation of the Gaussian noise added to each point."},
      {"model.kind", "mlp, cnn, moe-mlp (mixture of experts) or vit."},
      {"model.hidden", "Widths of the hidden layers, input to output."},
      {"model.dropout", "Dropout probability after each hidden activation (0 disables it)."},
      {"model.channels", "Output channels of each conv block (conv, activation, 2x2 max-pool)."},
      {"model.moe.experts", "Number of experts E of each MoE layer."},
      {"model.moe.top_k", "Experts k each token goes to; weights renormalised over the k."},
      {"model.moe.gate",
       "top-k: softmax then top-k; noisy-top-k adds softplus(x W_noise) noise "
       "(Shazeer 2017); switch: top-1 with the unrenormalised weight; "
       "gumbel-softmax: relaxed, annealed by temperature."},
      {"model.moe.capacity_factor",
       "C = ceil(capacity_factor * k * T / E) tokens per expert; assignments beyond are dropped "
       "(<= 0: dropless)."},
      {"model.moe.balance_loss",
       "Switch load balancing alpha * E * sum_i f_i P_i, f_i the share "
       "of assignments and P_i the mean router probability of expert "
       "i; typical alpha 0.01."},
      {"model.moe.importance_loss", "w * CV(sum_x G(x))^2 (Shazeer 2017)."},
      {"model.moe.z_loss", "coef * mean_x logsumexp(h(x))^2 (ST-MoE), keeps router logits small."},
      {"optimizer.kind", "adam or sgd (momentum, optional Nesterov)."},
      {"optimizer.lr", "Learning rate."},
      {"optimizer.weight_decay", "L2 weight decay added to the gradient."},
      {"schedule.epochs", "Passes over the training set (used when steps is 0)."},
      {"schedule.steps", "Optimiser steps in total; 0 = use epochs."},
      {"schedule.log_interval_steps", "Mean train loss / accuracy reported every this many steps."},
      {"runtime.threads",
       "LibTorch (OpenMP) threads; 0 = the fastest of 1 .. the cores, measured on a few steps "
       "of this model (cached per machine)."},
      {"runtime.blas_threads",
       "OpenBLAS threads; 0 = 1 when LibTorch uses several (no oversubscription), else the "
       "run's share of the cores."},
      {"runtime.gemm",
       "Matrix multiply of the dense layers: onednn (JIT kernels for this CPU), blas (the "
       "selected libblas.so.3, as PyTorch does) or auto (the faster here, measured)."},
      {"distill.temperature", "T: p = softmax(z / T). Higher T softens the teacher's targets."},
      {"distill.alpha",
       "Loss = (1 - alpha) CE(y, p_s) + alpha T^2 KL(p_t(T) || p_s(T)) (Hinton "
       "2015)."},
      {"distill.t_squared",
       "Multiply the soft term by T^2 (Hinton) so its gradients keep their "
       "scale as T changes; Distiller leaves it out."},
      {"distill.logit_mse", "Weight of ||z_t - z_s||^2, the logit-matching term."},
      {"distill.teachers[].run", "A finished run of this store: name, id or uuid prefix."},
      {"distill.teachers[].weight", "Share of this teacher in the averaged soft targets."},
      {"prune.criterion",
       "magnitude (smallest |w|), random (the baseline to beat), l1-norm / "
       "l2-norm (whole neurons or channels), n:m, expert-load (least-used "
       "experts)."},
      {"prune.scope",
       "local: every layer reaches the sparsity; global: one |w| threshold over "
       "all pruned layers."},
      {"prune.sparsity", "Final share removed s_f, in [0, 1): of weights, units or experts."},
      {"prune.schedule",
       "one-shot at start_step; iterative: s_j = 1 - (1 - s_f)^(j/n); agp "
       "(Zhu & Gupta 2017): s_t = s_f + (s_i - s_f)(1 - (t - t0)/(n dt))^3."},
      {"prune.initial_sparsity", "AGP's s_i, applied at start_step."},
      {"prune.start_step", "t0: optimiser steps completed before the first prune step."},
      {"prune.frequency", "dt: steps between prune steps."},
      {"prune.rounds", "n: prune steps after the first (iterative, agp)."},
      {"prune.rewind",
       "Lottery ticket (Frankle & Carbin 2019): after each prune step the "
       "survivors return to their values at rewind_step."},
      {"prune.n", "N:M keeps N of every M consecutive input weights (2:4 = 50%)."},
      {"prune.from_run", "Start from this finished run's weights: prune and fine-tune."},
  };
  static const std::regex kIndex(R"(\[\d+\])");
  auto key = std::regex_replace(path, kIndex, "[]");
  auto it = kHelp.find(key);
  if (it != kHelp.end()) return it->second;
  // model.cnn.moe.* and similar share the moe-mlp texts.
  auto moe = key.find(".moe.");
  if (moe != std::string::npos) {
    it = kHelp.find("model.moe." + key.substr(moe + 5));
    if (it != kHelp.end()) return it->second;
  }
  return "";
}

}  // namespace slimlab
