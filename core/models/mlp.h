#pragma once

#include <torch/nn/cloneable.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/pimpl.h>

#include "models/model_options.h"

namespace slimlab {

/// Multi-layer perceptron over flattened inputs; see MlpOptions.
class MlpImpl : public torch::nn::Cloneable<MlpImpl> {
 public:
  explicit MlpImpl(MlpOptions options);
  void reset() override;
  torch::Tensor forward(torch::Tensor x);

  MlpOptions options;
  torch::nn::Sequential layers{nullptr};
};
TORCH_MODULE(Mlp);

/// Appends the module for `activation` to `seq`.
void append_activation(torch::nn::Sequential& seq, Activation activation);

}  // namespace slimlab
