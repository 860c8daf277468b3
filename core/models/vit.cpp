#include "models/vit.h"

#include <torch/torch.h>

#include <cmath>

#include "nn/gemm.h"

namespace slimlab {

VitBlockImpl::VitBlockImpl(VitOptions options_) : options(std::move(options_)) { reset(); }

void VitBlockImpl::reset() {
  const int64_t d = options.dim();
  norm1 = register_module("norm1", torch::nn::LayerNorm(torch::nn::LayerNormOptions({d})));
  qkv = register_module("qkv", torch::nn::Linear(d, 3 * d));
  proj = register_module("proj", torch::nn::Linear(d, d));
  norm2 = register_module("norm2", torch::nn::LayerNorm(torch::nn::LayerNormOptions({d})));
  fc1 = register_module("fc1", torch::nn::Linear(d, d * options.mlp_ratio()));
  fc2 = register_module("fc2", torch::nn::Linear(d * options.mlp_ratio(), d));
  dropout = register_module("dropout", torch::nn::Dropout(options.dropout()));
}

torch::Tensor VitBlockImpl::forward(torch::Tensor x) {
  const int64_t batch = x.size(0), tokens = x.size(1), d = options.dim();
  const int64_t heads = options.heads(), head_dim = d / heads;
  // [B, N, 3, H, hd] -> three [B, H, N, hd].
  auto qkv_ = linear(qkv, norm1->forward(x))
                  .reshape({batch, tokens, 3, heads, head_dim})
                  .permute({2, 0, 3, 1, 4});
  auto q = qkv_[0], k = qkv_[1], v = qkv_[2];
  auto attention =
      torch::softmax(torch::matmul(q, k.transpose(-2, -1)) / std::sqrt(double(head_dim)), -1);
  auto mixed = torch::matmul(attention, v).transpose(1, 2).reshape({batch, tokens, d});
  x = x + dropout->forward(linear(proj, mixed));
  auto hidden = torch::gelu(linear(fc1, norm2->forward(x)));
  return x + dropout->forward(linear(fc2, hidden));
}

VitImpl::VitImpl(VitOptions options_) : options(std::move(options_)) { reset(); }

void VitImpl::reset() {
  const auto& o = options;
  TORCH_CHECK(o.in_channels() > 0 && o.image_size() > 0 && o.classes() > 0,
              "VitOptions: in_channels, image_size and classes must be set from the data");
  TORCH_CHECK(o.image_size() % o.patch_size() == 0, "VitOptions: patch_size ", o.patch_size(),
              " must divide the image size ", o.image_size());
  TORCH_CHECK(o.dim() % o.heads() == 0, "VitOptions: heads ", o.heads(), " must divide dim ",
              o.dim());
  const int64_t patches = (o.image_size() / o.patch_size()) * (o.image_size() / o.patch_size());
  patch_embed = register_module(
      "patch_embed",
      torch::nn::Conv2d(torch::nn::Conv2dOptions(o.in_channels(), o.dim(), o.patch_size())
                            .stride(o.patch_size())));
  cls_token = register_parameter("cls_token", torch::randn({1, 1, o.dim()}) * 0.02);
  pos_embed = register_parameter("pos_embed", torch::randn({1, patches + 1, o.dim()}) * 0.02);
  blocks = register_module("blocks", torch::nn::ModuleList());
  for (int64_t b = 0; b < o.depth(); ++b) blocks->push_back(VitBlock(o));
  norm = register_module("norm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({o.dim()})));
  head = register_module("head", torch::nn::Linear(o.dim(), o.classes()));
}

torch::Tensor VitImpl::forward(torch::Tensor x) {
  auto tokens = patch_embed->forward(x).flatten(2).transpose(1, 2);  // [B, patches, dim]
  auto cls = cls_token.expand({x.size(0), 1, options.dim()});
  auto h = torch::cat({cls, tokens}, 1) + pos_embed;
  for (const auto& block : *blocks) h = block->as<VitBlock>()->forward(h);
  return linear(head, norm->forward(h.select(1, 0)));
}

}  // namespace slimlab
