#include "lowrank/factorize.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

namespace slimlab {

LowRankFactors factorize(const torch::Tensor& weight, int64_t rank) {
  if (weight.dim() != 2) {
    throw std::invalid_argument("a weight to factorise must be 2-D [outputs, inputs], got " +
                                std::to_string(weight.dim()) + "-D");
  }
  const int64_t m = weight.size(0), n = weight.size(1), full = std::min(m, n);
  if (rank < 1 || rank > full) {
    throw std::invalid_argument("rank " + std::to_string(rank) + " is outside 1.." +
                                std::to_string(full) + " (min(outputs, inputs) of a [" +
                                std::to_string(m) + ", " + std::to_string(n) + "] weight)");
  }
  torch::NoGradGuard no_grad;
  auto w = weight.detach().to(torch::kFloat64);
  auto [u, s, vh] = torch::linalg::svd(w, /*full_matrices=*/false, c10::nullopt);
  auto root = s.slice(0, 0, rank).sqrt();
  LowRankFactors f;
  f.first = (root.unsqueeze(1) * vh.slice(0, 0, rank)).to(torch::kFloat32).contiguous();
  f.second = (u.slice(1, 0, rank) * root.unsqueeze(0)).to(torch::kFloat32).contiguous();
  f.singular_values = s;
  f.rank = rank;
  const double total = s.pow(2).sum().item<double>();
  const double dropped = s.slice(0, rank).pow(2).sum().item<double>();
  f.relative_error = total > 0 ? std::sqrt(dropped / total) : 0.0;
  return f;
}

int64_t rank_for_energy(const torch::Tensor& singular_values, double energy) {
  if (!(energy > 0 && energy <= 1)) {
    throw std::invalid_argument("energy must be in (0, 1], got " + std::to_string(energy));
  }
  auto e = singular_values.to(torch::kFloat64).pow(2);
  const double total = e.sum().item<double>();
  if (total <= 0) return 1;
  auto kept = e.cumsum(0) / total;
  auto acc = kept.accessor<double, 1>();
  for (int64_t k = 0; k < kept.size(0); ++k) {
    // A relative tolerance: energy 1.0 must select the full rank despite rounding in the sum.
    if (acc[k] >= energy - 1e-12) return k + 1;
  }
  return kept.size(0);
}

int64_t rank_for_ratio(int64_t m, int64_t n, double ratio) {
  if (!(ratio > 0 && ratio <= 1)) {
    throw std::invalid_argument("rank_ratio must be in (0, 1], got " + std::to_string(ratio));
  }
  // Counted in parameters, not divided: 0.7 x 90 / 21 is 2.999... in doubles, and k = 3 fits.
  const double budget = ratio * double(m) * double(n);
  int64_t k = int64_t(std::floor(budget / double(m + n)));
  while (double(k + 1) * double(m + n) <= budget * (1 + 1e-12)) ++k;
  while (k > 1 && double(k) * double(m + n) > budget * (1 + 1e-12)) --k;
  return std::clamp<int64_t>(k, 1, std::min(m, n));
}

double break_even_rank(int64_t m, int64_t n) { return double(m) * double(n) / double(m + n); }

}  // namespace slimlab
