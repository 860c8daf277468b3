#pragma once

// The "lowrank" spec section: which layers are factorised, at which rank, from which weights.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace slimlab {

/// Low-rank factorisation of a model's dense layers by truncated SVD (lowrank/factorize.h),
/// applied before step 0 to the initial weights or to a finished run's (`from_run`), then
/// fine-tuned for the run's schedule. Each layer's rank comes from, in order of precedence,
/// `layer_rank`, `rank`, `energy`, `rank_ratio`; of the three global ones at most one is set
/// (the others 0).
struct LowRankOptions {
  /// Layers to factorise, by module name (models/layer_surgery.h: mlp "layers.0", cnn
  /// "features.3", "fc"). Empty = every factorisable layer except the output layer. Default empty.
  std::vector<std::string> layers;
  /// One rank k for every layer, 1 .. min(m, n) of each; 0 = not set. Default 0.
  int64_t rank = 0;
  /// Each layer keeps this share of its weight's parameters: the largest k with
  /// k (m + n) <= ratio m n, in (0, 1]; 0 = not set. Default 0.25 when neither rank nor energy
  /// is set, else 0.
  double rank_ratio = 0.25;
  /// Each layer keeps this share of its spectral energy sum s_i^2 (the smallest k reaching it),
  /// in (0, 1]; 0 = not set. Default 0.
  double energy = 0;
  /// Per-layer ranks, overriding the global choice: {"layers.0": 32}. A finished run's stored
  /// spec holds the rank every layer got. Default empty.
  std::map<std::string, int64_t> layer_rank;
  /// A finished run (name, id or uuid prefix) whose weights are factorised; its model must be
  /// this spec's. Empty = the spec's freshly initialised weights. Default empty.
  std::string from_run;
  /// Batch size of the latency measured in the summary (dense against factorised). Default 256.
  int64_t latency_batch = 256;
};

}  // namespace slimlab
