#include "prune/masks.h"

#include <torch/torch.h>

#include <cmath>
#include <limits>

namespace slimlab {
namespace {

// Position of entry `i` in the stable ascending sort of `scores`: the entries below it, and the
// equal ones before it.
int64_t stable_rank(const torch::Tensor& scores, int64_t i) {
  auto value = scores[i];
  return scores.lt(value).sum().item<int64_t>() +
         scores.slice(0, 0, i).eq(value).sum().item<int64_t>();
}

}  // namespace

int64_t pruned_count(double share, int64_t n) {
  const double exact = share * double(n);  // One double product, as Python's amount * size.
  double whole = std::floor(exact);
  const double fraction = exact - whole;  // Exact for doubles of this size.
  if (fraction > 0.5 || (fraction == 0.5 && std::fmod(whole, 2.0) != 0.0)) whole += 1.0;
  return int64_t(whole);
}

torch::Tensor prune_lowest(const torch::Tensor& scores, int64_t k) {
  auto flat = scores.detach().flatten();
  auto keep = torch::ones_like(flat);
  if (k > 0) {
    auto order = std::get<1>(flat.sort(/*stable=*/true, /*dim=*/0, /*descending=*/false));
    keep.index_fill_(0, order.slice(0, 0, std::min<int64_t>(k, flat.numel())), 0.0);
  }
  return keep.view(scores.sizes());
}

GlobalKeep prune_lowest_global(const std::vector<torch::Tensor>& scores, int64_t k) {
  std::vector<torch::Tensor> flat;
  for (const auto& t : scores) flat.push_back(t.detach().flatten());
  auto all = torch::cat(flat);
  auto held = all.clone();
  std::vector<int64_t> best;  // Index in `all` of each tensor's held entry, -1 for none.
  int64_t offset = 0, held_count = 0;
  for (const auto& t : flat) {
    best.push_back(-1);
    if (t.numel() > 0 && t.max().item<double>() >= 0) {  // -1: everything already pruned.
      auto at = t.eq(t.max()).nonzero().flatten();
      best.back() = offset + at[-1].item<int64_t>();
      held[best.back()].fill_(std::numeric_limits<double>::infinity());
      ++held_count;
    }
    offset += t.numel();
  }
  auto keep = prune_lowest(held, std::min(k, all.numel() - held_count));
  GlobalKeep result;
  offset = 0;
  for (size_t i = 0; i < flat.size(); ++i) {
    const int64_t n = flat[i].numel();
    result.keep.push_back(keep.slice(0, offset, offset + n).view(scores[i].sizes()).clone());
    result.floored.push_back(best[i] >= 0 && stable_rank(all, best[i]) < k);
    offset += n;
  }
  return result;
}

torch::Tensor magnitude_scores(const torch::Tensor& weight, const torch::Tensor& mask) {
  return weight.detach().abs().masked_fill(mask.eq(0), -1.0);
}

torch::Tensor random_scores(const torch::Tensor& mask, at::Generator generator) {
  return torch::rand(mask.sizes(), generator, mask.options()).masked_fill(mask.eq(0), -1.0);
}

torch::Tensor unit_scores(const torch::Tensor& weight, int p, const torch::Tensor& unit_keep) {
  auto rows = weight.detach().flatten(1);
  auto norms = p == 1 ? rows.abs().sum(1) : rows.pow(2).sum(1).sqrt();
  return norms.masked_fill(unit_keep.eq(0), -1.0);
}

torch::Tensor nm_mask(const torch::Tensor& weight, int64_t n, int64_t m) {
  TORCH_CHECK(weight.dim() >= 2 && weight.size(1) % m == 0, "n:m needs size(1) divisible by ", m);
  // Move the input dimension last so groups of M are M consecutive inputs at one position.
  auto moved = weight.detach().movedim(1, -1);
  auto groups = moved.abs().reshape({-1, m});
  auto top = std::get<1>(groups.topk(n, /*dim=*/1));
  auto keep = torch::zeros_like(groups).scatter_(1, top, 1.0);
  return keep.view(moved.sizes()).movedim(-1, 1).contiguous();
}

torch::Tensor expand_units(const torch::Tensor& unit_keep, const torch::Tensor& like) {
  std::vector<int64_t> shape(size_t(like.dim()), 1);
  shape[0] = like.size(0);
  return unit_keep.to(like.dtype()).view(shape).expand(like.sizes()).contiguous();
}

double mask_sparsity(const torch::Tensor& mask) {
  if (mask.numel() == 0) return 0.0;
  return 1.0 - mask.sum().item<double>() / double(mask.numel());
}

}  // namespace slimlab
