// Forward + backward time of one MoE layer against a dense feed-forward layer with the same
// active compute, and against the per-token reference. A benchmark, not a test: it prints.
//   build/release/tests/slimlab-bench-moe [tokens=4096] [width=256] [expert_hidden=512]
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <vector>

#include "../core/moe_reference.h"
#include "measure/system_info.h"
#include "moe/moe_layer.h"

using namespace slimlab;

namespace {

struct Timing {
  double median_ms, min_ms, max_ms;
};

Timing time_it(const std::function<void()>& step, int warmup, int repeats) {
  for (int i = 0; i < warmup; ++i) step();
  std::vector<double> ms;
  for (int i = 0; i < repeats; ++i) {
    auto start = std::chrono::steady_clock::now();
    step();
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
                     .count());
  }
  std::sort(ms.begin(), ms.end());
  return {ms[ms.size() / 2], ms.front(), ms.back()};
}

/// One dense feed-forward layer width -> hidden -> width, as a single-expert MoE would be.
Timing time_dense(const torch::Tensor& x, int64_t hidden, int repeats) {
  auto w1 = torch::randn({x.size(1), hidden}, torch::requires_grad()) * 0.05;
  auto w2 = torch::randn({hidden, x.size(1)}, torch::requires_grad()) * 0.05;
  w1 = w1.detach().requires_grad_();
  w2 = w2.detach().requires_grad_();
  auto b1 = torch::zeros({hidden}, torch::requires_grad());
  auto b2 = torch::zeros({x.size(1)}, torch::requires_grad());
  return time_it(
      [&] {
        auto y = torch::addmm(b2, torch::relu(torch::addmm(b1, x, w1)), w2);
        y.sum().backward();
      },
      2, repeats);
}

}  // namespace

int main(int argc, char** argv) {
  const int64_t tokens = argc > 1 ? std::atoll(argv[1]) : 4096;
  const int64_t width = argc > 2 ? std::atoll(argv[2]) : 256;
  const int64_t hidden = argc > 3 ? std::atoll(argv[3]) : 512;
  const int64_t experts = 8;
  torch::manual_seed(0);
  auto x = torch::randn({tokens, width});
  auto blas = active_blas();
  std::printf("MoE layer forward+backward, %lld tokens, width %lld, %lld experts of hidden %lld\n",
              (long long)tokens, (long long)width, (long long)experts, (long long)hidden);
  std::printf("LibTorch %s, %s (%s kernels, %d threads); median of repeats, ms\n\n",
              torch_version().c_str(), blas.name.c_str(), blas.core.c_str(), blas.threads);
  std::printf("%-34s %9s %9s %9s %8s\n", "layer", "median", "min", "max", "vs dense");
  for (int64_t k : {1, 2}) {
    auto dense = time_dense(x, k * hidden, 9);
    std::printf("%-34s %9.2f %9.2f %9.2f %8s\n",
                ("dense FFN hidden " + std::to_string(k * hidden) + " (= k x expert)").c_str(),
                dense.median_ms, dense.min_ms, dense.max_ms, "1.00x");
    for (double factor : {1.25, 0.0}) {
      MoeLayer layer(MoeOptions(experts, width)
                         .hidden(hidden)
                         .top_k(k)
                         .capacity_factor(factor)
                         .balance_loss(0.01));
      layer->train();
      auto moe = time_it(
          [&] {
            auto y = layer->forward(x);
            (y.sum() + layer->last_aux.total()).backward();
          },
          2, 9);
      char name[64];
      std::snprintf(name, sizeof name, "MoE top-%lld, %s", (long long)k,
                    factor > 0 ? "capacity 1.25" : "dropless");
      std::printf("%-34s %9.2f %9.2f %9.2f %7.2fx\n", name, moe.median_ms, moe.min_ms, moe.max_ms,
                  moe.median_ms / dense.median_ms);
    }
    MoeLayer layer(MoeOptions(experts, width).hidden(hidden).top_k(k).capacity_factor(0));
    auto reference = time_it(
        [&] {
          auto routing = layer->route(x);
          auto y = testing::reference_moe(*layer, x, routing, tokens * k);
          y.sum().backward();
        },
        0, 3);
    std::printf("%-34s %9.2f %9.2f %9.2f %7.2fx\n",
                ("per-token reference top-" + std::to_string(k)).c_str(), reference.median_ms,
                reference.min_ms, reference.max_ms, reference.median_ms / dense.median_ms);
  }
  // Router bookkeeping (auxiliary losses, per-expert counts, probability sums) runs in training
  // forwards only; the same dropless layer in eval mode does the same routing and experts
  // without it, so the difference is its cost.
  std::printf("\nRouter bookkeeping, forward only, top-2 dropless:\n");
  MoeLayer layer(MoeOptions(experts, width)
                     .hidden(hidden)
                     .top_k(2)
                     .capacity_factor(0)
                     .eval_capacity_factor(0)
                     .balance_loss(0.01)
                     .importance_loss(0.1)
                     .z_loss(1e-3));
  torch::NoGradGuard no_grad;
  layer->train();
  auto with_stats = time_it([&] { layer->forward(x); }, 2, 15);
  layer->eval();
  auto without = time_it([&] { layer->forward(x); }, 2, 15);
  std::printf("  with bookkeeping %.2f ms, without %.2f ms: %.1f%% of the forward\n",
              with_stats.median_ms, without.median_ms,
              100.0 * (with_stats.median_ms - without.median_ms) / with_stats.median_ms);
  return 0;
}
