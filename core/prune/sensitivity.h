#pragma once

#include <torch/nn/module.h>

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "models/model_spec.h"
#include "prune/prune_options.h"

namespace slimlab {

/// One point of a sensitivity curve: `layer` alone pruned to `sparsity`, then evaluated.
struct SensitivityRow {
  std::string layer;
  double sparsity = 0;
  double accuracy = 0;
  double loss = 0;
};

/// Distiller's sensitivity analysis (REFERENCES.md): for each layer `options` selects and each
/// of `options.sensitivity_sparsities`, prunes that layer alone one-shot with `options.criterion`
/// (magnitude, random, l1-norm or l2-norm, per layer), calls `evaluate` for {loss, accuracy},
/// and restores the weights. `progress(done, total)` follows along. Throws InputError for a
/// criterion it cannot sweep or a layer that does not exist.
std::vector<SensitivityRow> sensitivity_analysis(
    torch::nn::Module& module, const ModelSpec& model, const PruneOptions& options, int64_t seed,
    const std::function<std::pair<double, double>()>& evaluate,
    const std::function<void(size_t, size_t)>& progress = {});

/// Checks that `options` can be swept (before any training); throws InputError otherwise.
void check_sensitivity_options(torch::nn::Module& module, const ModelSpec& model,
                               const PruneOptions& options);

}  // namespace slimlab
