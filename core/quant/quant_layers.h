#pragma once

// Layers that compute with fake-quantised weights (quant/fake_quant.h): the float weight stays
// the parameter (the dense layer's own tensor, under its name "weight", so state dicts,
// checkpoints and the optimiser are unchanged) and every forward pass uses its quantised copy,
// with the straight-through estimator for the gradient.

#include <torch/nn/cloneable.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/pimpl.h>

#include "quant/fake_quant.h"
#include "quant/observers.h"

namespace slimlab {

/// How one layer's weight is quantised.
struct WeightQuantizer {
  int64_t bits = 8;
  QuantScheme scheme = QuantScheme::Symmetric;
  bool per_channel = true;
  ObserverOptions observer;
  /// Scale and zero point for `weight` ([out, ...]), chosen by the observer.
  QuantParams params_for(const torch::Tensor& weight) const;
  /// The observer's range as a share of the min-max range, [2, C] (or [2, 1]): row 0 for the
  /// low end, row 1 for the high end (1 where min-max is used or the range is 0).
  torch::Tensor clip_ratio(const torch::Tensor& weight) const;
  /// Scale and zero point for `weight` with its min-max range scaled by `clip` (clip_ratio()).
  QuantParams params_with(const torch::Tensor& weight, const torch::Tensor& clip) const;
};

/// Shared by the quantised layers: the weight's quantisation parameters, chosen again only when
/// the weight changed (its version counter moved: an optimiser step, a checkpoint load). The
/// percentile and MSE observers search once, when the layer is built, for each channel's clipping
/// ratio (the layer's buffer "clip", kept in checkpoints); afterwards the range follows the
/// weights' min-max at that ratio: searching again at every step would cost more than the step.
class QuantParamCache {
 public:
  const QuantParams& get(const WeightQuantizer& q, const torch::Tensor& weight,
                         const torch::Tensor& clip);

 private:
  QuantParams params_;
  int64_t version_ = -1;
  const void* data_ = nullptr;
};

/// x [B, n] -> [B, m] with the weight [m, n] fake-quantised.
class QuantLinearImpl : public torch::nn::Cloneable<QuantLinearImpl> {
 public:
  QuantLinearImpl(const torch::nn::LinearImpl& dense, WeightQuantizer quantizer);
  void reset() override;
  torch::Tensor forward(const torch::Tensor& x);
  /// The weight as the forward pass uses it (quantised and dequantised), without gradient.
  torch::Tensor quantized_weight();

  int64_t in_features, out_features;
  bool with_bias;
  WeightQuantizer quantizer;
  torch::Tensor weight, bias;
  torch::Tensor clip;  ///< Buffer [2, out] or [2, 1]: WeightQuantizer::clip_ratio.

 private:
  void adopt(const torch::Tensor& w, const torch::Tensor& b);
  QuantParamCache cache_;
};
TORCH_MODULE(QuantLinear);

/// A Conv2d with its kernel [out, in, kh, kw] fake-quantised (per output channel or tensor).
class QuantConv2dImpl : public torch::nn::Cloneable<QuantConv2dImpl> {
 public:
  QuantConv2dImpl(const torch::nn::Conv2dImpl& dense, WeightQuantizer quantizer);
  void reset() override;
  torch::Tensor forward(const torch::Tensor& x);
  torch::Tensor quantized_weight();

  torch::nn::detail::ConvNdOptions<2> options;  ///< The dense layer's (zeros padding only).
  bool with_bias;
  WeightQuantizer quantizer;
  torch::Tensor weight, bias;
  torch::Tensor clip;  ///< Buffer [2, out] or [2, 1]: WeightQuantizer::clip_ratio.

 private:
  void adopt(const torch::Tensor& w, const torch::Tensor& b);
  QuantParamCache cache_;
};
TORCH_MODULE(QuantConv2d);

}  // namespace slimlab
