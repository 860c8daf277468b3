#include "models/moe_mlp.h"

#include <torch/torch.h>

#include "models/mlp.h"
#include "nn/activate.h"
#include "nn/gemm.h"

namespace slimlab {

MoeMlpImpl::MoeMlpImpl(MoeMlpOptions options_) : options(std::move(options_)) { reset(); }

void MoeMlpImpl::reset() {
  const auto& o = options;
  TORCH_CHECK(o.in_features() > 0 && o.classes() > 0,
              "MoeMlpOptions: in_features and classes must be set from the data");
  input = register_module("input", torch::nn::Linear(o.in_features(), o.width()));
  blocks.clear();
  for (int64_t b = 0; b < o.blocks(); ++b) {
    auto moe = o.moe();
    moe.dim(o.width());
    blocks.push_back(register_module("moe" + std::to_string(b), MoeLayer(moe)));
  }
  dropout = register_module("dropout", torch::nn::Dropout(o.dropout()));
  head = register_module("head", torch::nn::Linear(o.width(), o.classes()));
}

torch::Tensor MoeMlpImpl::forward(torch::Tensor x) {
  auto h = activate(linear(input, x.flatten(1)), options.activation());
  for (auto& block : blocks) {
    h = h + block->forward(h);  // The residual carries tokens an expert dropped.
    if (options.dropout() > 0) h = dropout->forward(h);
  }
  return linear(head, h);
}

}  // namespace slimlab
