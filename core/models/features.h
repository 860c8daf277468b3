#pragma once

#include <torch/nn/module.h>
#include <torch/types.h>

namespace slimlab {

/// Runs a SlimLab model (Mlp, Cnn, MoeMlp, Vit) once and returns its logits, storing in
/// `penultimate` the representation its output layer reads (the "hint" layer of feature
/// distillation). Throws std::invalid_argument for other modules.
torch::Tensor forward_with_features(torch::nn::Module& model, const torch::Tensor& x,
                                    torch::Tensor& penultimate);

}  // namespace slimlab
