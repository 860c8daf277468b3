#pragma once

#include <torch/nn/module.h>
#include <torch/types.h>

#include <string>
#include <vector>

namespace slimlab {

/// Runs a SlimLab model (Mlp, Cnn, MoeMlp, Vit) once, returns its logits and stores in
/// `features` the output of the layer called `layer` (flattened to [B, D]), the "hint" layer of
/// feature distillation. Layers, input to output:
///   mlp: hidden0, hidden1, ...      cnn: conv0, conv1, ..., fc      moe-mlp: input, block0, ...
///   vit: block0, block1, ... (class token), norm       any: "penultimate" = the last of them.
/// Throws std::invalid_argument naming the layers the model has.
torch::Tensor forward_with_features(torch::nn::Module& model, const torch::Tensor& x,
                                    torch::Tensor& features,
                                    const std::string& layer = "penultimate");

/// The same for several layers in one pass: `features[i]` is the output of `layers[i]`.
torch::Tensor forward_with_features(torch::nn::Module& model, const torch::Tensor& x,
                                    std::vector<torch::Tensor>& features,
                                    const std::vector<std::string>& layers);

}  // namespace slimlab
