#include "prune/sensitivity.h"

#include <torch/torch.h>

#include "prune/pruner.h"
#include "util/input_error.h"

namespace slimlab {
namespace {

// The options that prune one layer once, at step 0, to `sparsity`.
PruneOptions one_layer(const PruneOptions& options, const std::string& layer, double sparsity) {
  PruneOptions o = options;
  o.layers = {layer};
  o.layer_sparsity.clear();
  o.scope = PruneScope::Local;
  o.schedule = PruneSchedule::OneShot;
  o.start_step = 0;
  o.sparsity = sparsity;
  o.rewind = false;
  return o;
}

}  // namespace

void check_sensitivity_options(torch::nn::Module& module, const ModelSpec& model,
                               const PruneOptions& options) {
  auto c = options.criterion;
  if (c == PruneCriterion::NM || c == PruneCriterion::ExpertLoad) {
    throw InputError(std::string("prune.criterion: a sensitivity analysis sweeps sparsity; ") +
                     criterion_name(c) +
                     " does not have one to sweep (use magnitude, random, l1-norm or l2-norm)");
  }
  PruneOptions o = options;
  o.scope = PruneScope::Local;  // Each layer is swept alone.
  o.layer_sparsity.clear();
  select_layers(module, model, o);
}

std::vector<SensitivityRow> sensitivity_analysis(
    torch::nn::Module& module, const ModelSpec& model, const PruneOptions& options, int64_t seed,
    const std::function<std::pair<double, double>()>& evaluate,
    const std::function<void(size_t, size_t)>& progress) {
  check_sensitivity_options(module, model, options);
  PruneOptions local = options;
  local.scope = PruneScope::Local;
  local.layer_sparsity.clear();
  auto layers = select_layers(module, model, local);
  // Keep every parameter, so each point starts from the trained network.
  std::vector<torch::Tensor> saved;
  for (const auto& p : module.parameters()) saved.push_back(p.detach().clone());
  auto restore = [&] {
    torch::NoGradGuard no_grad;
    auto params = module.parameters();
    for (size_t i = 0; i < params.size(); ++i) params[i].copy_(saved[i]);
  };
  std::vector<SensitivityRow> rows;
  const size_t total = layers.size() * options.sensitivity_sparsities.size();
  for (const auto& layer : layers) {
    for (double sparsity : options.sensitivity_sparsities) {
      if (sparsity > 0) {
        Pruner pruner(one_layer(options, layer.name, sparsity), module, model, seed, 1);
        pruner.prune(0, nullptr);
      }
      auto [loss, accuracy] = evaluate();
      rows.push_back({layer.name, sparsity, accuracy, loss});
      restore();
      if (progress) progress(rows.size(), total);
    }
  }
  return rows;
}

}  // namespace slimlab
