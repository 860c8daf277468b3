#pragma once

// What the trainer reports of each MoE layer's router (train/train_observer.h passes them on).

#include <cstdint>
#include <string>
#include <vector>

namespace slimlab {

/// Router health of one MoE layer over the last log window (REFERENCES.md, "Health of a router").
struct RouterRecord {
  int64_t step = 0;
  int64_t layer = 0;
  std::vector<double> load_share;  ///< [E] share of assignments (before capacity) per expert.
  std::vector<double> importance;  ///< [E] mean router probability P_i per expert.
  double load_cv = 0;              ///< Population std / mean of load_share.
  double max_over_mean = 0;        ///< max load / mean load.
  double gate_entropy = 0;         ///< Entropy (nats) of the mean gate distribution.
  double dropped_share = 0;        ///< Assignments dropped for capacity / all assignments.
  int64_t dead_experts = 0;        ///< Experts that received nothing in the window.
  double balance_loss = 0;         ///< Mean over the window, coefficient included.
  double importance_loss = 0;
  double z_loss = 0;
};

/// How many examples of each class went first to each expert, on a held-out split.
struct RoutingMatrixRecord {
  int64_t step = 0;
  int64_t layer = 0;
  std::string split;
  int64_t classes = 0;
  int64_t experts = 0;
  std::vector<int64_t> counts;  ///< Row-major [classes][experts].
};

}  // namespace slimlab
