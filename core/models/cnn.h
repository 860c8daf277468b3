#pragma once

#include <torch/nn/cloneable.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/pimpl.h>

#include "models/model_options.h"

namespace slimlab {

/// LeNet-style convolutional network; see CnnOptions.
class CnnImpl : public torch::nn::Cloneable<CnnImpl> {
 public:
  explicit CnnImpl(CnnOptions options);
  void reset() override;
  torch::Tensor forward(torch::Tensor x);

  CnnOptions options;
  torch::nn::Sequential features{nullptr};
  torch::nn::Sequential classifier{nullptr};
};
TORCH_MODULE(Cnn);

}  // namespace slimlab
