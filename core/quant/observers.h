#pragma once

// The real range [lo, hi] a quantiser maps onto its integers, chosen from the values
// themselves (REFERENCES.md, "Ranges (observers)"): the full min-max range; a percentile range
// that lets rare outliers clip; or the clipping range with the smallest squared quantisation
// error (MSE-optimal clipping, searched on a grid).

#include <torch/types.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "quant/fake_quant.h"

namespace slimlab {

enum class RangeObserver { MinMax, Percentile, Mse };

/// "min-max", "percentile", "mse" (the spec's names, in enum order).
const std::vector<std::string>& range_observer_names();

/// How an observer chooses the range.
struct ObserverOptions {
  RangeObserver kind = RangeObserver::MinMax;
  /// Percentile: the range is [q(1 - p/100), q(p/100)] of the values, p in (50, 100].
  /// Default 99.99.
  double percentile = 99.99;
  /// MSE: clipping ranges alpha [lo, hi] for alpha = 1, 1 - 1/steps, ... down to `min_alpha`;
  /// the one with the least ||x - x_hat||^2 wins (per channel when per-channel). Defaults 100, 0.2.
  int64_t steps = 100;
  double min_alpha = 0.2;
};

/// The range of x ([C, ...] for per-channel: one range per slice along dimension 0, else one
/// for the whole tensor): {lo, hi}, each [C] or [1] float32. `bits` and `scheme` are those the
/// range is for (the MSE search quantises with them). Throws std::invalid_argument for an empty
/// x, a percentile outside (50, 100] or bits outside 2..8.
std::pair<torch::Tensor, torch::Tensor> observe_range(const torch::Tensor& x,
                                                      const ObserverOptions& options,
                                                      bool per_channel, int64_t bits,
                                                      QuantScheme scheme);

}  // namespace slimlab
