// What low-rank factorisation saves on the clock: inference latency of mlp-fashion's network
// with its hidden layers dense against factorised to a share of their parameters, and of
// cnn-fashion's second convolution alone, measured interleaved. A benchmark, not a test: it
// prints. Weights are as initialised: the clock does not care what they learned.
//   build/release/tests/slimlab-bench-lowrank [batch=256] [ratio=0.25]
#include <torch/torch.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "lowrank/low_rank_layers.h"
#include "measure/latency.h"
#include "measure/system_info.h"
#include "models/mlp.h"
#include "models/model_factory.h"
#include "nn/gemm.h"
#include "spec/experiment_spec.h"

using namespace slimlab;

namespace {

/// `dense`'s layers with every hidden Linear (all but the last) factorised at the rank that
/// keeps `ratio` of its parameters.
torch::nn::Sequential factorised_copy(MlpImpl& dense, double ratio) {
  torch::nn::Sequential out;
  const size_t n = dense.layers->size();
  size_t i = 0;
  for (auto& item : *dense.layers) {
    auto* linear = item.ptr()->as<torch::nn::LinearImpl>();
    if (linear != nullptr && i + 1 < n) {
      const auto m = linear->weight.size(0), in = linear->weight.size(1);
      out->push_back(factorize_linear(*linear, rank_for_ratio(m, in, ratio)));
    } else {
      out->push_back(item);
    }
    ++i;
  }
  return out;
}

torch::Tensor run(torch::nn::Sequential& layers, const torch::Tensor& x) {
  auto h = x.flatten(1);
  for (auto& item : *layers) h = forward_item(item, h);
  return h;
}

void report(const char* title, const std::vector<Latency>& t, int64_t dense_params,
            int64_t low_params) {
  std::printf("%s\n", title);
  const char* names[] = {"dense", "low-rank"};
  for (size_t i = 0; i < t.size(); ++i) {
    std::printf("  %-8s %9.3f ms median (p10 %.3f, p90 %.3f, %lld runs)  %.2fx\n", names[i],
                t[i].median_ms, t[i].p10_ms, t[i].p90_ms, (long long)t[i].repeats,
                t[0].median_ms / t[i].median_ms);
  }
  std::printf("  params %lld -> %lld (%.1f%%)\n\n", (long long)dense_params, (long long)low_params,
              100.0 * double(low_params) / double(dense_params));
}

}  // namespace

int main(int argc, char** argv) {
  const int64_t batch = argc > 1 ? std::atoll(argv[1]) : 256;
  const double ratio = argc > 2 ? std::atof(argv[2]) : 0.25;
  auto blas = active_blas();
  std::printf("LibTorch %s, %d intra-op threads, %s (%d threads, %s kernels), gemm %s\n\n",
              torch_version().c_str(), torch_threads(), blas.name.c_str(), blas.threads,
              blas.core.c_str(), gemm_name(gemm_backend()));
  torch::manual_seed(0);
  torch::NoGradGuard no_grad;

  auto spec = spec_from_json(
      load_json_file(std::string(SLIMLAB_SOURCE_DIR) + "/experiments/mlp-fashion.json"));
  auto model = make_model(spec.model, {1, 28, 28}, 10);
  auto* mlp = model.ptr()->as<MlpImpl>();
  mlp->eval();
  auto low = factorised_copy(*mlp, ratio);
  low->eval();
  auto x = torch::randn({batch, 1, 28, 28});
  auto t =
      compare_latency({[&] { run(mlp->layers, x); }, [&] { run(low, x); }}, 10, 200, 5000, 3.0);
  char title[200];
  std::snprintf(title, sizeof title,
                "mlp-fashion (784-256-128-10), hidden layers at %.0f%% of their parameters, "
                "batch %lld",
                100 * ratio, (long long)batch);
  report(title, t, count_parameters(*mlp), count_parameters(*low));

  // cnn-fashion's second convolution (16 -> 32 channels, 5x5) on its input, 12x12 after pooling.
  torch::nn::Conv2d conv(torch::nn::Conv2dOptions(16, 32, 5).padding(2));
  const auto rank = rank_for_ratio(32, 16 * 25, ratio);
  auto low_conv = factorize_conv(*conv, rank);
  auto maps = torch::randn({batch, 16, 12, 12});
  auto tc = compare_latency({[&] { conv->forward(maps); }, [&] { low_conv->forward(maps); }}, 10,
                            200, 5000, 3.0);
  std::snprintf(title, sizeof title,
                "cnn-fashion conv2 (16 -> 32, 5x5, on 12x12), rank %lld (%.0f%% of its "
                "parameters), batch %lld",
                (long long)rank, 100 * ratio, (long long)batch);
  report(title, tc, count_parameters(*conv), count_parameters(*low_conv));
  return 0;
}
