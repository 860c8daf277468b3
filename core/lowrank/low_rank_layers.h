#pragma once

// Factorised layers: a Linear(n -> m) as n -> k -> m, a Conv2d as a kh x kw conv with k outputs
// followed by a 1x1 conv (the SVD channel decomposition of Zhang et al. 2015; REFERENCES.md,
// "Quantisation and low rank"). Building them draws nothing from the default random generator
// (their weights come from the dense layer), so a run's random stream stays as it was.

#include <torch/nn/cloneable.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/pimpl.h>

#include "lowrank/factorize.h"

namespace slimlab {

/// y = second(first(x)): x [B, n] -> [B, k] (no bias) -> [B, m] (the original layer's bias).
/// Both products go through nn/gemm.h's linear, as every dense layer of SlimLab's models does.
class LowRankLinearImpl : public torch::nn::Cloneable<LowRankLinearImpl> {
 public:
  LowRankLinearImpl(int64_t in_features, int64_t rank, int64_t out_features, bool bias = true);
  void reset() override;
  torch::Tensor forward(const torch::Tensor& x);

  int64_t in_features, rank, out_features;
  bool with_bias;
  torch::nn::Linear first{nullptr};   ///< weight [k, n], no bias.
  torch::nn::Linear second{nullptr};  ///< weight [m, k], bias [m].
};
TORCH_MODULE(LowRankLinear);

/// The rank-`rank` factorisation of `dense` (its weight [m, n] by truncated SVD, its bias kept).
/// Throws std::invalid_argument for a rank outside 1..min(m, n).
LowRankLinear factorize_linear(const torch::nn::LinearImpl& dense, int64_t rank);

/// x [B, in, H, W] -> first: in -> k channels with the original kernel, stride, padding and
/// dilation (no bias) -> second: 1x1, k -> out channels (the original bias).
class LowRankConv2dImpl : public torch::nn::Cloneable<LowRankConv2dImpl> {
 public:
  LowRankConv2dImpl(torch::nn::Conv2dOptions original, int64_t rank);
  void reset() override;
  torch::Tensor forward(const torch::Tensor& x);

  torch::nn::Conv2dOptions original;
  int64_t rank;
  torch::nn::Conv2d first{nullptr};
  torch::nn::Conv2d second{nullptr};
};
TORCH_MODULE(LowRankConv2d);

/// The rank-`rank` factorisation of `conv`: its kernel [out, in, kh, kw] reshaped to
/// [out, in*kh*kw] and factorised. Throws std::invalid_argument for grouped convolutions, a
/// padding mode other than zeros, or a rank outside 1..min(out, in*kh*kw).
LowRankConv2d factorize_conv(const torch::nn::Conv2dImpl& conv, int64_t rank);

/// The relative reconstruction error ||W - W_k||_F / ||W||_F of a factorised layer against the
/// dense weight it came from ([m, n], or a conv kernel [out, in, kh, kw]).
double reconstruction_error(const torch::Tensor& dense_weight, const LowRankFactors& factors);

}  // namespace slimlab
