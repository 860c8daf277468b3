#include "lowrank/low_rank_layers.h"

#include <torch/torch.h>

#include <stdexcept>

#include "models/generator_guard.h"
#include "nn/gemm.h"

namespace slimlab {

LowRankLinearImpl::LowRankLinearImpl(int64_t in_features_, int64_t rank_, int64_t out_features_,
                                     bool bias)
    : in_features(in_features_), rank(rank_), out_features(out_features_), with_bias(bias) {
  reset();
}

void LowRankLinearImpl::reset() {
  first = register_module(
      "first", torch::nn::Linear(torch::nn::LinearOptions(in_features, rank).bias(false)));
  second = register_module(
      "second", torch::nn::Linear(torch::nn::LinearOptions(rank, out_features).bias(with_bias)));
}

torch::Tensor LowRankLinearImpl::forward(const torch::Tensor& x) {
  return slimlab::linear(slimlab::linear(x, first->weight, torch::Tensor()), second->weight,
                         second->bias);
}

LowRankLinear factorize_linear(const torch::nn::LinearImpl& dense, int64_t rank) {
  const auto& w = dense.weight;
  auto factors = factorize(w, rank);
  auto layer = [&] {
    GeneratorStateGuard keep;  // Its weights come from `dense`: draw nothing from the run.
    return LowRankLinear(w.size(1), rank, w.size(0), dense.bias.defined());
  }();
  torch::NoGradGuard no_grad;
  layer->first->weight.copy_(factors.first);
  layer->second->weight.copy_(factors.second);
  if (dense.bias.defined()) layer->second->bias.copy_(dense.bias);
  return layer;
}

LowRankConv2dImpl::LowRankConv2dImpl(torch::nn::Conv2dOptions original_, int64_t rank_)
    : original(std::move(original_)), rank(rank_) {
  reset();
}

void LowRankConv2dImpl::reset() {
  auto spatial = torch::nn::Conv2dOptions(original.in_channels(), rank, original.kernel_size())
                     .stride(original.stride())
                     .padding(original.padding())
                     .dilation(original.dilation())
                     .bias(false);
  first = register_module("first", torch::nn::Conv2d(spatial));
  second = register_module(
      "second",
      torch::nn::Conv2d(
          torch::nn::Conv2dOptions(rank, original.out_channels(), 1).bias(original.bias())));
}

torch::Tensor LowRankConv2dImpl::forward(const torch::Tensor& x) {
  return second->forward(first->forward(x));
}

LowRankConv2d factorize_conv(const torch::nn::Conv2dImpl& conv, int64_t rank) {
  const auto& o = conv.options;
  if (o.groups() != 1) {
    throw std::invalid_argument("a grouped convolution (groups " + std::to_string(o.groups()) +
                                ") cannot be factorised as one matrix");
  }
  if (c10::get_if<torch::enumtype::kZeros>(&o.padding_mode()) == nullptr) {
    throw std::invalid_argument("only convolutions padded with zeros can be factorised");
  }
  const auto& w = conv.weight;  // [out, in, kh, kw]
  auto factors = factorize(w.reshape({w.size(0), -1}), rank);
  auto original = torch::nn::Conv2dOptions(o.in_channels(), o.out_channels(), o.kernel_size())
                      .stride(o.stride())
                      .padding(o.padding())
                      .dilation(o.dilation())
                      .bias(o.bias());
  auto layer = [&] {
    GeneratorStateGuard keep;
    return LowRankConv2d(original, rank);
  }();
  torch::NoGradGuard no_grad;
  layer->first->weight.copy_(factors.first.reshape({rank, w.size(1), w.size(2), w.size(3)}));
  layer->second->weight.copy_(factors.second.reshape({w.size(0), rank, 1, 1}));
  if (conv.bias.defined()) layer->second->bias.copy_(conv.bias);
  return layer;
}

double reconstruction_error(const torch::Tensor& dense_weight, const LowRankFactors& factors) {
  torch::NoGradGuard no_grad;
  auto w = dense_weight.detach().to(torch::kFloat64).reshape({dense_weight.size(0), -1});
  auto approx = factors.second.to(torch::kFloat64).matmul(factors.first.to(torch::kFloat64));
  const double norm = w.norm().item<double>();
  return norm > 0 ? (w - approx).norm().item<double>() / norm : 0.0;
}

}  // namespace slimlab
