#pragma once

#include <torch/nn/cloneable.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/dropout.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/normalization.h>
#include <torch/nn/pimpl.h>

#include "models/model_options.h"

namespace slimlab {

/// One pre-norm transformer block: x + Attn(LN(x)), then x + MLP(LN(x)).
class VitBlockImpl : public torch::nn::Cloneable<VitBlockImpl> {
 public:
  explicit VitBlockImpl(VitOptions options);
  void reset() override;
  torch::Tensor forward(torch::Tensor x);

  VitOptions options;
  torch::nn::LayerNorm norm1{nullptr}, norm2{nullptr};
  torch::nn::Linear qkv{nullptr}, proj{nullptr}, fc1{nullptr}, fc2{nullptr};
  torch::nn::Dropout dropout{nullptr};
};
TORCH_MODULE(VitBlock);

/// A tiny Vision Transformer; see VitOptions.
class VitImpl : public torch::nn::Cloneable<VitImpl> {
 public:
  explicit VitImpl(VitOptions options);
  void reset() override;
  torch::Tensor forward(torch::Tensor x);

  VitOptions options;
  torch::nn::Conv2d patch_embed{nullptr};
  torch::Tensor cls_token, pos_embed;
  torch::nn::ModuleList blocks{nullptr};
  torch::nn::LayerNorm norm{nullptr};
  torch::nn::Linear head{nullptr};
};
TORCH_MODULE(Vit);

}  // namespace slimlab
