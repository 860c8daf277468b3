// Tune's inner loop on the clock: the time from a control change (one layer's sparsity, rank or
// bits, or a global control moving every layer) to updated metrics, on 2,000 validation
// examples of mlp-fashion and cnn-fashion. A benchmark, not a test: it prints. Without run
// arguments it trains both presets for 50 steps into a temporary store (the clock does not care
// how well they learned); give a store and runs to time trained ones.
//   build/release/tests/slimlab-bench-tune [STORE RUN...]
#include <torch/torch.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "measure/system_info.h"
#include "spec/experiment_spec.h"
#include "train/run_session.h"
#include "tune/sensitivity_curves.h"

using namespace slimlab;

namespace {

struct Drag {
  std::string title;
  std::vector<CompressionPlan> plans;  // Consecutive control positions.
};

// A slider dragged over `settings` on one layer, or on every layer of the method at once.
Drag drag(const PlanEvaluator& e, TuneMethod method, bool global) {
  const auto layers = method_layers(e, method);
  const auto& first = layers.front();
  auto settings = curve_settings(first, method);
  Drag d;
  d.title = std::string(tune_method_key(method)) + (global ? " global" : " " + first.name);
  for (int pass = 0; pass < 3; ++pass) {
    for (size_t i = 0; i < settings.size(); ++i) {
      CompressionPlan plan;
      for (const auto& l : global ? layers : std::vector<TunableLayer>{first}) {
        auto s = curve_settings(l, method);
        plan.layers[l.name] = s[std::min(i, s.size() - 1)];
      }
      d.plans.push_back(plan);
    }
  }
  return d;
}

void bench(const std::string& store, const std::string& run) {
  PlanEvaluator e(store, run, 2000);
  std::printf("%s (run %lld), %lld %s examples\n", e.run_name().c_str(), (long long)e.run_id(),
              (long long)e.samples(), e.split().c_str());
  const auto dense = e.evaluate({});
  std::printf("  as trained: one evaluation %.1f ms\n", dense->eval_ms);
  for (auto method : {TuneMethod::Prune, TuneMethod::LowRank, TuneMethod::Quant}) {
    for (bool global : {false, true}) {
      auto d = drag(e, method, global);
      e.evaluate({});
      std::vector<double> ms;
      for (const auto& plan : d.plans) ms.push_back(e.evaluate(plan)->eval_ms);
      std::sort(ms.begin(), ms.end());
      std::printf("  %-22s median %7.1f ms  p90 %7.1f ms  max %7.1f ms  (%zu changes)\n",
                  d.title.c_str(), ms[ms.size() / 2], ms[ms.size() * 9 / 10], ms.back(), ms.size());
    }
  }
  std::printf("\n");
}

}  // namespace

int main(int argc, char** argv) {
  auto blas = active_blas();
  std::printf("LibTorch %s, %d intra-op threads, %s (%d threads, %s kernels)\n\n",
              torch_version().c_str(), torch_threads(), blas.name.c_str(), blas.threads,
              blas.core.c_str());
  if (argc > 2) {
    for (int i = 2; i < argc; ++i) bench(argv[1], argv[i]);
    return 0;
  }
  const auto dir = std::filesystem::temp_directory_path() / "slimlab-bench-tune";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  const std::string store = (dir / "runs.sqlite").string();
  for (const char* preset : {"mlp-fashion", "cnn-fashion"}) {
    auto j = load_json_file(std::string(SLIMLAB_SOURCE_DIR) + "/experiments/" + preset + ".json");
    j["schedule"]["steps"] = 50;
    RunObserver quiet;
    RunControl control;
    auto outcome = run_experiment(spec_from_json(j), store, quiet, control);
    bench(store, std::to_string(outcome.run_id));
  }
  std::filesystem::remove_all(dir);
  return 0;
}
