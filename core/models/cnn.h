#pragma once

#include <torch/nn/cloneable.h>
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
  torch::Tensor forward(torch::Tensor x);

  CnnOptions options;
  torch::nn::Sequential features{nullptr};
  torch::nn::Linear fc{nullptr};
  std::vector<MoeLayer> head_moe;  ///< Residual MoE blocks after `fc` (CnnOptions::moe_blocks).
  torch::nn::Dropout dropout{nullptr};
  torch::nn::Linear out{nullptr};
};
TORCH_MODULE(Cnn);

}  // namespace slimlab
