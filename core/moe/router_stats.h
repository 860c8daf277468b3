#pragma once

#include <torch/serialize/archive.h>
#include <torch/types.h>

#include "moe/moe_layer.h"
#include "moe/router_records.h"

namespace slimlab {

/// Accumulates one MoE layer's router counts and auxiliary losses over a log window and turns
/// them into a RouterRecord. Costs a few [E]-sized additions per step.
class RouterWindow {
 public:
  explicit RouterWindow(int64_t experts);
  void add(const RouterCounts& counts, const AuxLosses& aux);
  bool empty() const { return steps_ == 0; }
  /// Starts a new, empty window.
  void clear() { *this = RouterWindow(experts_); }
  /// The window's statistics; then starts a new window.
  RouterRecord take(int64_t step, int64_t layer);
  /// The sums so far, for a checkpoint: a run resumed mid-window reports what an unbroken one
  /// does. `load` leaves the window empty when the archive has none (older checkpoints) and
  /// throws std::runtime_error when its expert count differs.
  void save(torch::serialize::OutputArchive& archive) const;
  void load(torch::serialize::InputArchive& archive);

 private:
  int64_t experts_;
  torch::Tensor assigned_, kept_, prob_sum_;
  int64_t tokens_ = 0;
  int64_t steps_ = 0;
  // Detached sums, read once per window: an .item() per step would sync every step.
  torch::Tensor balance_, importance_, z_;
};

/// Statistics of a load vector (shares summing to 1): population CV and max / mean.
double load_cv(const std::vector<double>& share);
double max_over_mean(const std::vector<double>& share);
/// Entropy in nats of a distribution given as non-negative weights (normalised here).
double entropy_nats(const std::vector<double>& weights);

}  // namespace slimlab
