#pragma once

#include <torch/nn/cloneable.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/dropout.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/pimpl.h>

#include "moe/moe_layer.h"
#include "moe/moe_options.h"

namespace slimlab {

/// An MLP whose feed-forward blocks are mixtures of experts; see MoeMlpOptions. Each sample is
/// one token for the router.
class MoeMlpImpl : public torch::nn::Cloneable<MoeMlpImpl> {
 public:
  explicit MoeMlpImpl(MoeMlpOptions options);
  void reset() override;
  torch::Tensor forward(torch::Tensor x);

  MoeMlpOptions options;
  torch::nn::Linear input{nullptr};
  std::vector<MoeLayer> blocks;
  torch::nn::Dropout dropout{nullptr};
  torch::nn::Linear head{nullptr};
};
TORCH_MODULE(MoeMlp);

}  // namespace slimlab
