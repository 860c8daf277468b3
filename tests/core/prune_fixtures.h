#pragma once

// Fixtures shared by the pruning tests (prune_test.cpp, prune_report_test.cpp).
#include <torch/torch.h>

#include <cmath>
#include <vector>

#include "models/model_factory.h"
#include "spec/experiment_spec.h"

namespace slimlab::testing {

inline ExperimentSpec moons_spec() {
  ExperimentSpec spec;
  spec.name = "prune";
  spec.seed = 5;
  spec.data.dataset = DatasetKind::Moons;
  spec.data.points = 640;
  spec.data.test_points = 200;
  spec.data.batch_size = 32;
  spec.model.mlp.hidden({48, 40});
  spec.optimizer.lr = 0.01;
  spec.schedule.steps = 120;
  spec.schedule.log_interval_steps = 1;
  spec.has_prune = true;
  return spec;
}

inline int64_t zeros(const torch::Tensor& t) { return t.eq(0).sum().item<int64_t>(); }

// The plain reference for counts: Python's round(share * n) (PyTorch's prune), halves to even
// under the default rounding mode.
inline int64_t python_round(double share, int64_t n) {
  return int64_t(std::nearbyint(share * double(n)));
}

// A network of one Linear layer "0" with `out` x `in` weights.
inline torch::nn::Sequential one_linear(int64_t in, int64_t out) {
  torch::manual_seed(3);
  return torch::nn::Sequential(torch::nn::Linear(in, out));
}

inline torch::nn::AnyModule mlp(std::vector<int64_t> hidden) {
  ModelSpec m;
  m.mlp.hidden(hidden);
  torch::manual_seed(1);
  return make_model(m, {1, 8, 8}, 10);
}

}  // namespace slimlab::testing
