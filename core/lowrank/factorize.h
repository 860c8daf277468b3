#pragma once

// Low-rank factorisation of weight matrices by truncated SVD (REFERENCES.md, "Quantisation and
// low rank"): W ~= U_k S_k V_k^T is the best rank-k approximation in the Frobenius norm
// (Eckart-Young). Plain tensors only; low_rank_layers.h builds the factorised layers.

#include <torch/types.h>

#include <cstdint>

namespace slimlab {

/// W [m, n] (m outputs, n inputs) as second x first, the layer n -> k -> m.
/// The singular values are split evenly, first = sqrt(S_k) V_k^T and second = U_k sqrt(S_k),
/// so both factors have the same scale (better conditioned to fine-tune than U_k, S_k V_k^T).
struct LowRankFactors {
  torch::Tensor first;            ///< [k, n] float32: the n -> k layer's weight.
  torch::Tensor second;           ///< [m, k] float32: the k -> m layer's weight.
  torch::Tensor singular_values;  ///< [min(m, n)] float64, all of them, descending.
  int64_t rank = 0;               ///< k.
  /// ||W - W_k||_F / ||W||_F = sqrt(sum_{i>k} s_i^2 / sum_i s_i^2); 0 for W = 0.
  double relative_error = 0;
};

/// Truncated SVD of `weight` [m, n] at `rank` k, computed in float64. Throws
/// std::invalid_argument when `weight` is not 2-D or k is outside 1..min(m, n).
LowRankFactors factorize(const torch::Tensor& weight, int64_t rank);

/// The smallest k whose kept spectral energy sum_{i<=k} s_i^2 / sum_i s_i^2 is >= `energy`,
/// for descending `singular_values` [r]. Throws std::invalid_argument when `energy` is outside
/// (0, 1]. An all-zero spectrum gives 1.
int64_t rank_for_energy(const torch::Tensor& singular_values, double energy);

/// The largest k whose factorised parameters k (m + n) are at most `ratio` x m n (the dense
/// weight's), at least 1. Throws std::invalid_argument when `ratio` is outside (0, 1].
/// E.g. m = 256, n = 784, ratio 0.25: k = 48 (49,920 <= 50,176 parameters).
int64_t rank_for_ratio(int64_t m, int64_t n, double ratio);

/// The rank below which factorising [m, n] saves parameters: k < m n / (m + n).
double break_even_rank(int64_t m, int64_t n);

}  // namespace slimlab
