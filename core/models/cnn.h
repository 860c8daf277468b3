#pragma once

#include <torch/nn/cloneable.h>
#include <torch/nn/modules/container/any.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/pimpl.h>

#include <torch/nn/modules/dropout.h>
#include <torch/nn/modules/linear.h>

#include <vector>

#include "models/model_options.h"
#include "moe/moe_layer.h"

namespace slimlab {

/// LeNet-style convolutional network; see CnnOptions.
class CnnImpl : public torch::nn::Cloneable<CnnImpl> {
 public:
  explicit CnnImpl(CnnOptions options);
  void reset() override;
  /// x [B, C, H, W] -> logits [B, classes]: head(features(x) flattened).
  torch::Tensor forward(torch::Tensor x);
  /// The layers after `features`: flattened feature maps [B, in] -> logits [B, classes]. Tune
  /// calls it alone when only `fc` / `out` changed, on feature maps it computed once.
  torch::Tensor head(const torch::Tensor& flat_features);

  CnnOptions options;
  torch::nn::Sequential features{nullptr};
  torch::nn::Linear fc{nullptr};
  std::vector<MoeLayer> head_moe;  ///< Residual MoE blocks after `fc` (CnnOptions::moe_blocks).
  torch::nn::Dropout dropout{nullptr};
  torch::nn::Linear out{nullptr};
  /// Set by replace_layer (models/layer_surgery.h): the module that computes `fc` (or `out`)
  /// instead, e.g. its low-rank factorisation; empty for the dense layer.
  torch::nn::AnyModule fc_replacement, out_replacement;
  /// `fc` (or its replacement) of x [B, in] -> [B, fc_hidden], before the activation.
  torch::Tensor fc_forward(const torch::Tensor& x);
  /// `out` (or its replacement) of x [B, fc_hidden] -> [B, classes] logits.
  torch::Tensor out_forward(const torch::Tensor& x);
};
TORCH_MODULE(Cnn);

}  // namespace slimlab
