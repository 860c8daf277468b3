#include "models/cnn.h"

#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/dropout.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/pooling.h>

#include "models/mlp.h"
#include "nn/activate.h"
#include "nn/gemm.h"

namespace slimlab {

CnnImpl::CnnImpl(CnnOptions options_) : options(std::move(options_)) { reset(); }

void CnnImpl::reset() {
  TORCH_CHECK(options.in_channels() > 0 && options.image_size() > 0 && options.classes() > 0,
              "CnnOptions: in_channels, image_size and classes must be set from the data");
  features = torch::nn::Sequential();
  int64_t channels = options.in_channels();
  int64_t size = options.image_size();
  for (int64_t out : options.channels()) {
    TORCH_CHECK(size >= 2, "CnnOptions: ", options.channels().size(), " pooling blocks shrink a ",
                options.image_size(), "-pixel image below 1 pixel");
    features->push_back(
        torch::nn::Conv2d(torch::nn::Conv2dOptions(channels, out, options.kernel_size())
                              .padding(options.kernel_size() / 2)));
    append_activation(features, options.activation());
    features->push_back(torch::nn::MaxPool2d(torch::nn::MaxPool2dOptions(2)));
    channels = out;
    size /= 2;
  }
  register_module("features", features);
  fc = register_module("fc", torch::nn::Linear(channels * size * size, options.fc_hidden()));
  head_moe.clear();
  for (int64_t b = 0; b < options.moe_blocks(); ++b) {
    auto moe = options.moe();
    moe.dim(options.fc_hidden());
    head_moe.push_back(register_module("moe" + std::to_string(b), MoeLayer(moe)));
  }
  dropout = register_module("dropout", torch::nn::Dropout(options.dropout()));
  out = register_module("out", torch::nn::Linear(options.fc_hidden(), options.classes()));
}

torch::Tensor CnnImpl::fc_forward(const torch::Tensor& x) {
  return fc_replacement.is_empty() ? linear(fc, x) : fc_replacement.forward(x);
}

torch::Tensor CnnImpl::out_forward(const torch::Tensor& x) {
  return out_replacement.is_empty() ? linear(out, x) : out_replacement.forward(x);
}

torch::Tensor CnnImpl::forward(torch::Tensor x) { return head(features->forward(x).flatten(1)); }

torch::Tensor CnnImpl::head(const torch::Tensor& flat_features) {
  auto h = activate(fc_forward(flat_features), options.activation());
  for (auto& block : head_moe) h = h + block->forward(h);  // Residual carries dropped tokens.
  if (options.dropout() > 0) h = dropout->forward(h);
  return out_forward(h);
}

}  // namespace slimlab
