#pragma once

#include <torch/arg.h>

#include <cstdint>

#include "nn/activation.h"

namespace slimlab {

/// How a token chooses its experts (REFERENCES.md, "Mixture of experts").
enum class GateKind {
  /// softmax(x W_g), keep the k largest. k = E is the dense soft mixture.
  TopK,
  /// Shazeer 2017: logits + N(0,1) * softplus(x W_noise) in training only, then top-k.
  NoisyTopK,
  /// Fedus 2021: top-1, combined with its (unrenormalised) router probability.
  Switch,
  /// Jang 2017: softmax((logits + Gumbel noise) / temperature) in training, then top-k.
  GumbelSoftmax,
};

/// Gumbel-softmax variant.
enum class GumbelMode {
  Soft,  ///< Combine with the relaxed probabilities of the top-k experts.
  Hard,  ///< Top-1 with weight 1 forward and the relaxed gradient (straight-through).
};

/// A mixture-of-experts feed-forward layer: E experts `dim -> hidden -> dim`, a router, capacity
/// and auxiliary losses.
///   MoeOptions(/*experts=*/8, /*dim=*/128).top_k(2).capacity_factor(1.25).balance_loss(0.01)
struct MoeOptions {
  MoeOptions(int64_t experts = 8, int64_t dim = 0) : experts_(experts), dim_(dim) {}
  /// Number of experts E, 1..64. Default 8.
  TORCH_ARG(int64_t, experts);
  /// Token width in and out; set from the surrounding model. Default 0 (unset).
  TORCH_ARG(int64_t, dim);
  /// Hidden width of each expert. Default 64 units.
  TORCH_ARG(int64_t, hidden) = 64;
  /// Non-linearity inside each expert. Default Relu.
  TORCH_ARG(Activation, activation) = Activation::Relu;
  /// The gate. Default TopK.
  TORCH_ARG(GateKind, gate) = GateKind::TopK;
  /// Experts per token k, 1..E (Switch always uses 1). Default 2.
  TORCH_ARG(int64_t, top_k) = 2;
  /// Renormalise the kept gate weights to sum to 1 (GShard, Mixtral). With k = 1 the weight is
  /// then 1 and the router learns only from the auxiliary losses. Default true.
  TORCH_ARG(bool, renormalize) = true;
  /// Training capacity C = ceil(capacity_factor * k * tokens / E); <= 0 means dropless.
  /// Default 1.25.
  TORCH_ARG(double, capacity_factor) = 1.25;
  /// Capacity factor in evaluation. Default 2.0.
  TORCH_ARG(double, eval_capacity_factor) = 2.0;
  /// Gumbel-softmax temperature tau. Default 1.0.
  TORCH_ARG(double, temperature) = 1.0;
  /// Gumbel-softmax variant. Default Soft.
  TORCH_ARG(GumbelMode, gumbel_mode) = GumbelMode::Soft;
  /// Switch load-balancing coefficient alpha in alpha * E * sum_i f_i P_i. Default 0.01.
  TORCH_ARG(double, balance_loss) = 0.01;
  /// Importance loss coefficient w in w * CV(sum_x G(x))^2 (population CV). Default 0.
  TORCH_ARG(double, importance_loss) = 0.0;
  /// Router z-loss coefficient in coef * mean_x (logsumexp_j h_j(x))^2. Default 0.
  TORCH_ARG(double, z_loss) = 0.0;
};

/// The MoE-MLP: Linear(in, width) -> activation, then `blocks` residual MoE blocks
/// h = h + MoE(h), then Linear(width, classes).
///   MoeMlpOptions(/*in_features=*/784, /*classes=*/10).width(128).blocks(1)
struct MoeMlpOptions {
  MoeMlpOptions(int64_t in_features = 0, int64_t classes = 0)
      : in_features_(in_features), classes_(classes) {}
  /// Flattened input size; set from the data. Default 0 (unset).
  TORCH_ARG(int64_t, in_features);
  /// Number of output classes; set from the data. Default 0 (unset).
  TORCH_ARG(int64_t, classes);
  /// Token width between the blocks. Default 128 units.
  TORCH_ARG(int64_t, width) = 128;
  /// Number of residual MoE blocks. Default 1.
  TORCH_ARG(int64_t, blocks) = 1;
  /// Non-linearity after the input projection. Default Relu.
  TORCH_ARG(Activation, activation) = Activation::Relu;
  /// Dropout after each block, 0 disables it. Default 0.
  TORCH_ARG(double, dropout) = 0.0;
  /// The MoE layer of every block (its `dim` is set to `width`).
  TORCH_ARG(MoeOptions, moe) = MoeOptions();
};

}  // namespace slimlab
