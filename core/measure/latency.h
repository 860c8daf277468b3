#pragma once

#include <cstdint>
#include <functional>
#include <vector>

namespace slimlab {

/// Wall time of one call, over many repeats after a warm-up.
struct Latency {
  double median_ms = 0;
  double p10_ms = 0;  ///< 10th percentile: the spread's low end.
  double p90_ms = 0;  ///< 90th percentile: the spread's high end.
  int64_t repeats = 0;
};

/// Times each of `calls`: `warmup` untimed rounds, then rounds that call each once in turn,
/// at least `min_rounds` and more until `budget_seconds` have passed (at most `max_rounds`).
/// Interleaving gives every call the same machine state (caches, clock, other load), so their
/// ratio is fair; the median resists the odd slow call and p10 / p90 show the spread.
std::vector<Latency> compare_latency(const std::vector<std::function<void()>>& calls,
                                     int64_t warmup = 5, int64_t min_rounds = 30,
                                     int64_t max_rounds = 2000, double budget_seconds = 2.0);

}  // namespace slimlab
