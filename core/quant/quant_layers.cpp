#include "quant/quant_layers.h"

#include <torch/torch.h>

#include <stdexcept>

#include "nn/gemm.h"

namespace slimlab {
QuantParams WeightQuantizer::params_for(const torch::Tensor& weight) const {
  auto [lo, hi] = observe_range(weight, observer, per_channel, bits, scheme);
  return choose_qparams(lo, hi, bits, scheme, per_channel);
}

torch::Tensor WeightQuantizer::clip_ratio(const torch::Tensor& weight) const {
  torch::NoGradGuard no_grad;
  ObserverOptions minmax;
  auto [lo, hi] = observe_range(weight, minmax, per_channel, bits, scheme);
  if (observer.kind == RangeObserver::MinMax) return torch::ones({2, lo.numel()});
  auto [clip_lo, clip_hi] = observe_range(weight, observer, per_channel, bits, scheme);
  auto ratio = [](const torch::Tensor& part, const torch::Tensor& whole) {
    return torch::where(whole != 0, part / whole, torch::ones_like(whole));
  };
  return torch::stack({ratio(clip_lo, lo), ratio(clip_hi, hi)});
}

QuantParams WeightQuantizer::params_with(const torch::Tensor& weight,
                                         const torch::Tensor& clip) const {
  ObserverOptions minmax;
  auto [lo, hi] = observe_range(weight, minmax, per_channel, bits, scheme);
  return choose_qparams(lo * clip[0], hi * clip[1], bits, scheme, per_channel);
}

const QuantParams& QuantParamCache::get(const WeightQuantizer& q, const torch::Tensor& weight,
                                        const torch::Tensor& clip) {
  // An optimiser step or a load changes the weight in place and bumps its version.
  if (weight._version() != version_ || weight.data_ptr() != data_ || !params_.scale.defined()) {
    torch::NoGradGuard no_grad;
    params_ = q.params_with(weight.detach(), clip);
    version_ = weight._version();
    data_ = weight.data_ptr();
  }
  return params_;
}

QuantLinearImpl::QuantLinearImpl(const torch::nn::LinearImpl& dense, WeightQuantizer quantizer_)
    : in_features(dense.weight.size(1)),
      out_features(dense.weight.size(0)),
      with_bias(dense.bias.defined()),
      quantizer(std::move(quantizer_)) {
  adopt(dense.weight, dense.bias);
}

void QuantLinearImpl::adopt(const torch::Tensor& w, const torch::Tensor& b) {
  // The dense layer's own tensors: the optimiser, already holding them, trains them on.
  weight = register_parameter("weight", w);
  bias = with_bias ? register_parameter("bias", b)
                   : register_parameter("bias", torch::Tensor(), /*requires_grad=*/false);
  clip = register_buffer("clip", quantizer.clip_ratio(w.detach()));
}

void QuantLinearImpl::reset() {
  weight = register_parameter("weight", torch::empty({out_features, in_features}));
  clip = register_buffer("clip", torch::ones({2, quantizer.per_channel ? out_features : 1}));
  bias = with_bias ? register_parameter("bias", torch::empty({out_features}))
                   : register_parameter("bias", torch::Tensor(), /*requires_grad=*/false);
}

torch::Tensor QuantLinearImpl::forward(const torch::Tensor& x) {
  return slimlab::linear(x, fake_quantize_ste(weight, cache_.get(quantizer, weight, clip)), bias);
}

torch::Tensor QuantLinearImpl::quantized_weight() {
  torch::NoGradGuard no_grad;
  return fake_quantize(weight, cache_.get(quantizer, weight, clip));
}

QuantConv2dImpl::QuantConv2dImpl(const torch::nn::Conv2dImpl& dense, WeightQuantizer quantizer_)
    : options(dense.options), with_bias(dense.bias.defined()), quantizer(std::move(quantizer_)) {
  if (c10::get_if<torch::enumtype::kZeros>(&options.padding_mode()) == nullptr) {
    throw std::invalid_argument("only convolutions padded with zeros can be quantised here");
  }
  adopt(dense.weight, dense.bias);
}

void QuantConv2dImpl::adopt(const torch::Tensor& w, const torch::Tensor& b) {
  weight = register_parameter("weight", w);
  bias = with_bias ? register_parameter("bias", b)
                   : register_parameter("bias", torch::Tensor(), /*requires_grad=*/false);
  clip = register_buffer("clip", quantizer.clip_ratio(w.detach()));
}

void QuantConv2dImpl::reset() {
  std::vector<int64_t> shape = {options.out_channels(), options.in_channels() / options.groups()};
  for (auto k : *options.kernel_size()) shape.push_back(k);
  weight = register_parameter("weight", torch::empty(shape));
  clip = register_buffer("clip", torch::ones({2, quantizer.per_channel ? shape[0] : 1}));
  bias = with_bias ? register_parameter("bias", torch::empty({options.out_channels()}))
                   : register_parameter("bias", torch::Tensor(), /*requires_grad=*/false);
}

torch::Tensor QuantConv2dImpl::forward(const torch::Tensor& x) {
  namespace F = torch::nn::functional;
  auto w = fake_quantize_ste(weight, cache_.get(quantizer, weight, clip));
  return F::conv2d(x, w,
                   F::Conv2dFuncOptions()
                       .bias(bias)
                       .stride(options.stride())
                       .padding(options.padding())
                       .dilation(options.dilation())
                       .groups(options.groups()));
}

torch::Tensor QuantConv2dImpl::quantized_weight() {
  torch::NoGradGuard no_grad;
  return fake_quantize(weight, cache_.get(quantizer, weight, clip));
}

}  // namespace slimlab
