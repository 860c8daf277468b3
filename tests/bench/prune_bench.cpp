// What pruning saves on the clock: inference latency of the dense network against the masked
// (zeros in dense tensors) and the shrunk (units removed) one, measured interleaved. A
// benchmark, not a test: it prints.
//   build/release/tests/slimlab-bench-prune [batch=256] [sparsity=0.5]
#include <torch/torch.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "measure/latency.h"
#include "measure/system_info.h"
#include "models/model_factory.h"
#include "prune/pruner.h"
#include "prune/shrink.h"
#include "spec/experiment_spec.h"

using namespace slimlab;

namespace {

ExperimentSpec preset(const std::string& name) {
  return spec_from_json(load_json_file(std::string(SLIMLAB_SOURCE_DIR) + "/experiments/" + name));
}

// Prunes `spec`'s model with `options` at step 0 (weights as initialised: the clock does not
// care what they learned), then times dense, masked and (for structured criteria) shrunk.
void bench(const char* title, const ExperimentSpec& spec, const PruneOptions& options,
           const std::vector<int64_t>& sample_shape, int64_t batch) {
  torch::manual_seed(0);
  auto dense = make_model(spec.model, sample_shape, 10);
  auto masked = make_model(spec.model, sample_shape, 10);
  Pruner pruner(options, *masked.ptr(), spec.model, 0, 1);
  pruner.prune(0, nullptr);
  std::map<std::string, torch::Tensor> keep;
  for (const auto& state : pruner.layers()) {
    if (state.unit_keep.defined()) keep[state.layer.name] = state.unit_keep;
  }
  std::vector<int64_t> shape = {batch};
  shape.insert(shape.end(), sample_shape.begin(), sample_shape.end());
  auto x = torch::randn(shape);
  torch::NoGradGuard no_grad;
  std::vector<torch::nn::AnyModule*> models = {&dense, &masked};
  ShrunkModel shrunk;
  if (!keep.empty()) {
    shrunk = shrink_model(spec.model, *masked.ptr(), keep, sample_shape, 10);
    models.push_back(&shrunk.model);
  }
  std::vector<std::function<void()>> calls;
  for (auto* m : models) {
    m->ptr()->eval();
    calls.push_back([m, &x] { m->forward(x); });
  }
  auto t = compare_latency(calls, 10, 200, 5000, 3.0);
  std::printf("%s, batch %lld\n", title, (long long)batch);
  const char* names[] = {"dense", "masked", "shrunk"};
  for (size_t i = 0; i < t.size(); ++i) {
    std::printf("  %-7s %9.3f ms median (p10 %.3f, p90 %.3f, %lld runs)  %.2fx\n", names[i],
                t[i].median_ms, t[i].p10_ms, t[i].p90_ms, (long long)t[i].repeats,
                t[0].median_ms / t[i].median_ms);
  }
  if (!keep.empty()) {
    double diff = (shrunk.model.forward(x) - masked.forward(x)).abs().max().item<double>();
    std::printf("  params %lld -> %lld; max |shrunk - masked| = %.2g\n",
                (long long)count_parameters(*dense.ptr()),
                (long long)count_parameters(*shrunk.model.ptr()), diff);
  }
}

}  // namespace

int main(int argc, char** argv) {
  int64_t batch = argc > 1 ? std::atoll(argv[1]) : 256;
  double sparsity = argc > 2 ? std::atof(argv[2]) : 0.5;
  auto blas = active_blas();
  std::printf("LibTorch %s, %d intra-op threads, %s (%d threads, %s kernels)\n\n",
              torch_version().c_str(), torch_threads(), blas.name.c_str(), blas.threads,
              blas.core.c_str());
  PruneOptions structured;
  structured.criterion = PruneCriterion::L2Norm;
  structured.sparsity = sparsity;
  PruneOptions unstructured;
  unstructured.criterion = PruneCriterion::Magnitude;
  unstructured.scope = PruneScope::Global;
  unstructured.sparsity = 0.9;

  auto mlp = preset("mlp-fashion.json");
  auto cnn = preset("cnn-fashion.json");
  char title[160];
  std::snprintf(title, sizeof title, "mlp-fashion, %.0f%% of hidden neurons removed (L2)",
                100 * sparsity);
  bench(title, mlp, structured, {1, 28, 28}, batch);
  std::snprintf(title, sizeof title, "cnn-fashion, %.0f%% of channels and fc units removed (L2)",
                100 * sparsity);
  bench(title, cnn, structured, {1, 28, 28}, batch);
  bench("mlp-fashion, 90% of weights zeroed (global magnitude, unstructured)", mlp, unstructured,
        {1, 28, 28}, batch);
  return 0;
}
