#pragma once

#include <torch/nn/modules/container/any.h>

#include <map>
#include <string>
#include <vector>

#include "models/model_spec.h"

namespace slimlab {

/// A network rebuilt without its removed units, and the spec that builds its shape.
struct ShrunkModel {
  ModelSpec spec;
  torch::nn::AnyModule model;
};

/// Physically removes pruned units (REFERENCES.md, "Structured"): for each entry of `unit_keep`
/// (layer name -> [units] keep-mask, 1 kept) the layer loses those outputs, the next layer the
/// matching inputs (for a conv before `fc`, every flattened position of the channel), and MoE
/// layers (by module name) lose their pruned experts. The result computes what the masked
/// network computes, with smaller tensors. Supports mlp, cnn and moe-mlp; throws
/// std::invalid_argument otherwise, or when MoE blocks that share one spec keep different numbers
/// of experts.
ShrunkModel shrink_model(const ModelSpec& spec, torch::nn::Module& masked,
                         const std::map<std::string, torch::Tensor>& unit_keep,
                         const std::vector<int64_t>& sample_shape, int64_t classes);

}  // namespace slimlab
