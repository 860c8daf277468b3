#pragma once

#include <torch/torch.h>

#include <vector>

#include "moe/moe_layer.h"

namespace slimlab::testing {

/// The obvious implementation: visit assignments in rank-major order, count each expert's
/// slots, run the expert on one token at a time.
inline torch::Tensor reference_moe(MoeLayerImpl& layer, const torch::Tensor& x, const Routing& r,
                                   int64_t capacity) {
  const int64_t tokens = x.size(0), k = r.expert.size(1);
  std::vector<int64_t> used(static_cast<size_t>(layer.options.experts()), 0);
  std::vector<torch::Tensor> rows(static_cast<size_t>(tokens));
  for (int64_t t = 0; t < tokens; ++t) rows[size_t(t)] = torch::zeros({x.size(1)}, x.options());
  for (int64_t rank = 0; rank < k; ++rank) {
    for (int64_t t = 0; t < tokens; ++t) {
      int64_t e = r.expert[t][rank].item<int64_t>();
      if (used[size_t(e)]++ >= capacity) continue;  // Dropped: contributes nothing.
      auto out = layer.expert_forward(e, x.slice(0, t, t + 1)).squeeze(0);
      rows[size_t(t)] = rows[size_t(t)] + out * r.weight[t][rank];
    }
  }
  return torch::stack(rows);
}

}  // namespace slimlab::testing
