#include "models/mlp.h"

#include "nn/gemm.h"

#include <torch/nn/modules/activation.h>
#include <torch/nn/modules/dropout.h>
#include <torch/nn/modules/linear.h>
#include <torch/torch.h>

namespace slimlab {

void append_activation(torch::nn::Sequential& seq, Activation activation) {
  switch (activation) {
    case Activation::Relu:
      seq->push_back(torch::nn::ReLU());
      break;
    case Activation::Gelu:
      seq->push_back(torch::nn::GELU());
      break;
    case Activation::Tanh:
      seq->push_back(torch::nn::Tanh());
      break;
  }
}

MlpImpl::MlpImpl(MlpOptions options_) : options(std::move(options_)) { reset(); }

void MlpImpl::reset() {
  TORCH_CHECK(options.in_features() > 0 && options.classes() > 0,
              "MlpOptions: in_features and classes must be set from the data");
  layers = torch::nn::Sequential();
  int64_t width = options.in_features();
  for (int64_t hidden : options.hidden()) {
    layers->push_back(torch::nn::Linear(width, hidden));
    append_activation(layers, options.activation());
    if (options.dropout() > 0) layers->push_back(torch::nn::Dropout(options.dropout()));
    width = hidden;
  }
  layers->push_back(torch::nn::Linear(width, options.classes()));
  register_module("layers", layers);
}

torch::Tensor MlpImpl::forward(torch::Tensor x) {
  auto h = x.flatten(1);
  for (auto& item : *layers) h = forward_item(item, h);
  return h;
}

}  // namespace slimlab
