#pragma once

#include <torch/nn/module.h>
#include <torch/nn/modules/container/any.h>

#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <vector>

#include "data/dataset.h"
#include "spec/experiment_spec.h"

namespace slimlab {

class Pruner;

/// The per-layer table of a network as it is: for every weight layer its name, shape,
/// parameters (weight and bias), non-zeros, sparsity and multiply-accumulates per sample (all,
/// and those with a non-zero weight), then a row for the remaining parameters (routers, norms,
/// embeddings) and the totals, with the bytes it takes dense (float32) and in CSR (float32
/// values, int32 column indices, int32 row pointers; biases and the rest dense).
///   {"layers": [{"name": "layers.0", "shape": [300, 784], ...}], "totals": {...},
///    "bytes": {"dense": ..., "csr": ...}}
nlohmann::json layer_table(torch::nn::Module& module, const ModelSpec& spec,
                           const std::vector<int64_t>& sample_shape);

/// What pruning really saved: the layer table, the mask sparsity against the physical network
/// (structured and expert pruning rebuilt without the removed units), MACs and bytes before and
/// after, the shrunk network's largest output difference from the masked one, and measured
/// inference latency of the dense, masked and shrunk networks at `prune.latency_batch`.
nlohmann::json prune_report(torch::nn::AnyModule& masked, const ExperimentSpec& spec,
                            const Pruner& pruner, const DataSplits& data);

}  // namespace slimlab
