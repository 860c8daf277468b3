#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace slimlab {

/// What decides which weights go (REFERENCES.md, "Pruning").
enum class PruneCriterion {
  Magnitude,   ///< Smallest |w| (unstructured), per layer or globally.
  Random,      ///< Uniformly random weights (unstructured): the baseline a criterion must beat.
  L1Norm,      ///< Structured: whole neurons / channels with the smallest L1 norm.
  L2Norm,      ///< Structured: whole neurons / channels with the smallest L2 norm.
  NM,          ///< N:M: keep the N largest |w| of every M consecutive inputs.
  ExpertLoad,  ///< MoE: whole experts with the smallest router load since the last prune step.
};

/// Whether the sparsity target holds per layer or over all selected layers together.
enum class PruneScope { Local, Global };

/// When pruning happens and how the sparsity target grows.
enum class PruneSchedule {
  OneShot,    ///< Once, at start_step, to the final sparsity.
  Iterative,  ///< `rounds` times, every `frequency` steps from start_step + frequency, removing
              ///< the same share of the survivors each time: s_j = 1 - (1 - s_f)^(j / n).
  Agp,        ///< Zhu & Gupta: s_t = s_f + (s_i - s_f)(1 - (t - t0) / (n dt))^3 at
              ///< t = t0, t0 + dt, ..., t0 + n dt.
};

/// The "prune" object of a spec.
///   {"criterion": "magnitude", "scope": "global", "sparsity": 0.9, "schedule": "agp",
///    "start_step": 0, "frequency": 200, "rounds": 10}
struct PruneOptions {
  /// Layers to prune, by name (`slimlab-cli show RUN --layers` lists them); empty = every
  /// prunable layer the criterion applies to. Default [].
  std::vector<std::string> layers;
  /// magnitude, random, l1-norm, l2-norm, n:m or expert-load. Default magnitude.
  PruneCriterion criterion = PruneCriterion::Magnitude;
  /// local (each layer reaches the sparsity) or global (all layers together). Default local.
  PruneScope scope = PruneScope::Local;
  /// Final share of weights (structured: of neurons / channels; expert-load: of experts)
  /// removed, in [0, 1). Ignored by n:m, whose sparsity is 1 - N/M. Default 0.5.
  double sparsity = 0.5;
  /// Per-layer final sparsity, overriding `sparsity` for the layers named (local scope only).
  std::map<std::string, double> layer_sparsity;
  /// AGP: the sparsity applied at start_step, s_i. Default 0.
  double initial_sparsity = 0.0;
  /// N:M: weights kept per group. Default 2.
  int64_t n = 2;
  /// N:M: group size along the input dimension. Default 4.
  int64_t m = 4;
  /// one-shot, iterative or agp. Default one-shot.
  PruneSchedule schedule = PruneSchedule::OneShot;
  /// Optimiser steps completed before the first prune step, t0. Default 0 (before training).
  int64_t start_step = 0;
  /// Steps between prune steps, dt. Default 100.
  int64_t frequency = 100;
  /// Prune steps after the first, n (iterative and agp). Default 10.
  int64_t rounds = 10;
  /// Lottery ticket (Frankle & Carbin): after each prune step the surviving weights go back to
  /// their values at `rewind_step` and the optimiser state is cleared. Default false.
  bool rewind = false;
  /// The step whose weights a rewind restores (0 = the initial weights). Default 0.
  int64_t rewind_step = 0;
  /// Start from the weights of this finished run (name, id or uuid; same model) instead of a
  /// fresh initialisation: prune and fine-tune a trained model. Default "" (train from scratch).
  std::string from_run;
  /// Sparsities the sensitivity analysis tries per layer.
  /// Default 0, 0.1, ..., 0.9, 0.95.
  std::vector<double> sensitivity_sparsities = {0.0, 0.1, 0.2, 0.3, 0.4, 0.5,
                                                0.6, 0.7, 0.8, 0.9, 0.95};
  /// Batch size of the latency measurement in the final report. Default 256.
  int64_t latency_batch = 256;
};

/// The steps at which `options` prunes, in order.
std::vector<int64_t> prune_steps(const PruneOptions& options);

/// The final sparsity of layer `name` (its override or `options.sparsity`; n:m gives 1 - N/M).
double final_sparsity(const PruneOptions& options, const std::string& name);

/// The sparsity the schedule asks of a layer whose final sparsity is `s_f`, right after the
/// prune step at `step` (and until the next one). 0 before the first prune step.
double scheduled_sparsity(const PruneOptions& options, double s_f, int64_t step);

const char* criterion_name(PruneCriterion criterion);
bool is_structured(PruneCriterion criterion);

}  // namespace slimlab
