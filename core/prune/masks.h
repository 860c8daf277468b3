#pragma once

#include <ATen/core/Generator.h>
#include <torch/types.h>

#include <cstdint>
#include <vector>

namespace slimlab {

// The mask arithmetic of every criterion, on plain tensors. A keep-mask holds 1 for weights
// kept and 0 for weights pruned, in the weight's dtype, so applying it is one multiply.

/// How many of `n` entries a share prunes: round(share * n) with halves to even, the product
/// taken in double, exactly as PyTorch's torch.nn.utils.prune computes it
/// (`round(amount * tensor_size)` in Python). 0.25 of 10 weights is 2 (2.5 rounds to even), 0.35
/// of 10 is 4 (the double product is exactly 3.5), 10.5 units is 10. Every count derived from a
/// share in core/prune goes through here. Does not depend on the floating-point rounding mode.
int64_t pruned_count(double share, int64_t n);

/// Keep-mask over `scores` with exactly `k` entries pruned: the k lowest scores, ties broken by
/// position (a stable sort), so the sparsity is exact to the weight.
torch::Tensor prune_lowest(const torch::Tensor& scores, int64_t k);

/// Keep-masks for global pruning with a floor (one mask per tensor of `scores`, shaped like it).
struct GlobalKeep {
  std::vector<torch::Tensor> keep;
  /// True where the floor held: without it, the ranking would have emptied that tensor.
  std::vector<bool> floored;
};

/// Prunes the `k` lowest of all `scores` together (ties by position across the tensors in
/// order) but holds back each tensor's highest-scoring survivor (score >= 0; the last of equal
/// highest, so all its other entries rank below it): no tensor is emptied. k is capped at the
/// entries not held back, so exactly k go unless the floor binds in every tensor.
GlobalKeep prune_lowest_global(const std::vector<torch::Tensor>& scores, int64_t k);

/// Scores for magnitude pruning: |w|, and -1 where `mask` already pruned, so masks only grow
/// (a weight once pruned stays pruned).
torch::Tensor magnitude_scores(const torch::Tensor& weight, const torch::Tensor& mask);

/// Scores for random pruning: uniform [0, 1) from `generator`, -1 where already pruned.
torch::Tensor random_scores(const torch::Tensor& mask, at::Generator generator);

/// Norm (p = 1 or 2) of each output unit's weights (dim 0), -1 for units already pruned
/// (`unit_keep` 0).
torch::Tensor unit_scores(const torch::Tensor& weight, int p, const torch::Tensor& unit_keep);

/// N:M keep-mask: in every group of M consecutive inputs (dim 1; for kernels the input
/// channels at each kernel position) keep the N largest |w|. size(1) must divide by M.
torch::Tensor nm_mask(const torch::Tensor& weight, int64_t n, int64_t m);

/// Expands a unit keep-mask [out] to a tensor shaped like `like` (units along dim 0).
torch::Tensor expand_units(const torch::Tensor& unit_keep, const torch::Tensor& like);

/// Share of zeros in a keep-mask.
double mask_sparsity(const torch::Tensor& mask);

}  // namespace slimlab
