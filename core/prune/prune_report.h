#pragma once

#include <torch/nn/module.h>
#include <torch/nn/modules/container/any.h>

#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <optional>
#include <vector>

#include "data/dataset.h"
#include "models/model_spec.h"
#include "prune/prune_options.h"

namespace slimlab {

class Pruner;

/// The per-layer table of a network as it is: for every weight layer its name, shape, and
///  - params: entries of its weight and bias; nonzeros: the non-zero ones among them;
///  - sparsity = 1 - nonzeros / params (weight and bias together);
///  - weights: entries of the weight tensor alone; weight_sparsity: its share of zeros (what
///    masks act on: a layer pruned to 90% shows 0.9 here, a little less under sparsity);
///  - macs / nonzero_macs: multiply-accumulates per sample, all and those with a non-zero
///    weight;
/// then an "(other)" row for the remaining parameters (routers, norms, embeddings; weights 0,
/// no weight_sparsity) and the totals: the sums of the rows' params, nonzeros, weights, macs
/// and nonzero_macs, with sparsity and weight_sparsity computed from those sums as in a row.
/// Also the bytes the network takes dense (float32) and in CSR (float32 values, int32 column
/// indices, int32 row pointers; biases and the rest dense).
///   {"layers": [{"name": "layers.0", "shape": [300, 784], ...}], "totals": {...},
///    "bytes": {"dense": ..., "csr": ...}}
nlohmann::json layer_table(torch::nn::Module& module, const ModelSpec& spec,
                           const std::vector<int64_t>& sample_shape);

/// The layers the floor held back at some prune step, in layer order:
///   [{"name": "layers.0", "step": 40, "size": 2368, "unit": "weights", "asked": 2368,
///     "kept": 1}]
/// `asked` is what the schedule asked to prune of the layer's `size` weights (units) at
/// `step`, the last step at which the floor held; `kept` is what survives now.
nlohmann::json floored_layers_json(const Pruner& pruner);
/// [{"name": "layers.2", "inputs": 30, "m": 4}] for Pruner::skipped_layers().
nlohmann::json skipped_layers_json(const Pruner& pruner);

/// What pruning really saved: the layer table; the mask sparsity (masked-out entries over all
/// entries of the masked weight tensors, "mask_weights" of them, named in "mask_layers"; biases
/// are not counted) against the physical network
/// (structured and expert pruning rebuilt without the removed units), MACs and bytes before and
/// after, the shrunk network's largest output difference from the masked one, and measured
/// inference latency of the dense, masked and shrunk networks at `prune.latency_batch`; and the
/// "floored_layers" and "skipped_layers" lists (floored_layers_json, skipped_layers_json).
/// `shrunk_model`, when given, receives the shrunk network's ModelSpec when structured or expert
/// pruning rebuilt it; the caller stores it as "shrunk_model" (spec/, above prune/, writes it).
nlohmann::json prune_report(torch::nn::AnyModule& masked, const ModelSpec& model,
                            const PruneOptions& prune, const Pruner& pruner, const DataSplits& data,
                            std::optional<ModelSpec>* shrunk_model = nullptr);

}  // namespace slimlab
