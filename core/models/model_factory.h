#pragma once

#include <torch/nn/modules/container/any.h>

#include <cstdint>
#include <vector>

#include "spec/experiment_spec.h"

namespace slimlab {

/// Builds the network a spec describes for data of `sample_shape` and `classes`.
/// The returned AnyModule's forward maps a batch [B, ...sample_shape] to logits [B, classes].
torch::nn::AnyModule make_model(const ModelSpec& spec, const std::vector<int64_t>& sample_shape,
                                int64_t classes);

/// Number of trainable parameters.
int64_t count_parameters(const torch::nn::Module& module);

}  // namespace slimlab
