// `slimlab-cli doctor`: what this machine gives SlimLab, and what to install when it is not enough.
#include <torch/torch.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <vector>

#include "commands.h"
#include "data/dataset.h"
#include "measure/cpu_load.h"
#include "measure/system_info.h"
#include "nn/gemm.h"
#include "store/run_store.h"
#include "train/runtime.h"
#include "train/runtime_tuner.h"

namespace slimlab::cli {
namespace {

// Below this an MLP trains an order of magnitude slower than it should (REFERENCES.md: OpenBLAS
// reaches ~116 GFLOP/s on one core of the reference machine, netlib BLAS a few).
constexpr double kSlowGflops = 20.0;

/// The reference model of the runtime table: mlp-fashion's MLP 256-128 at batch 128 with Adam,
/// on random 28x28 inputs (the speed does not depend on the values).
std::pair<ExperimentSpec, DataSplits> reference_model() {
  ExperimentSpec spec;
  spec.model.mlp.hidden({256, 128}).dropout(0.1);
  spec.data.batch_size = 128;
  DataSplits data;
  data.sample_shape = {1, 28, 28};
  data.classes = 10;
  data.train = {torch::rand({128, 1, 28, 28}), torch::randint(10, {128}, torch::kInt64)};
  return {spec, data};
}

std::string env_or(const char* name, const char* fallback) {
  const char* v = std::getenv(name);
  return v != nullptr ? v : fallback;
}

}  // namespace

int command_doctor(const CliArgs& args) {
  std::vector<std::string> problems;
  std::vector<std::string> hints;
  nlohmann::json report;

  auto blas = active_blas();
  double gflops = measure_sgemm_gflops();
  double onednn_gflops = measure_onednn_sgemm_gflops();
  // What a run may use when its spec leaves runtime.* automatic: each model measures these.
  RuntimeChoice runs = resolve_runtime(RuntimeSpec{}, automatic_threads());
  auto [reference_spec, reference_data] = reference_model();
  const auto candidates = runtime_candidates(reference_spec.runtime, automatic_threads());
  // Measuring leaves the last candidate's settings; the lines below report the process's own.
  RuntimeChoice before;
  before.threads = torch_threads();
  before.blas_threads = active_blas().threads;
  before.gemm = gemm_backend();
  const auto cpu_before = cpu_times_now();
  const auto table = measure_runtimes(reference_spec, reference_data, candidates, 1.0);
  const double others_busy = others_busy_cores(cpu_before, cpu_times_now());
  set_runtime(before);
  nlohmann::json table_json = nlohmann::json::array();
  size_t fastest = 0;
  for (size_t i = 0; i < table.size(); ++i) {
    if (table[i].steps_per_second > table[fastest].steps_per_second) fastest = i;
    table_json.push_back({{"threads", table[i].threads},
                          {"blas_threads", table[i].blas_threads},
                          {"gemm", gemm_name(table[i].gemm)},
                          {"steps_per_second", table[i].steps_per_second}});
  }
  report["runtime_table"] = {{"model", "mlp-fashion (MLP 256-128, Adam), batch 128"},
                             {"measured", table_json},
                             {"others_busy_cores", others_busy}};
  report["torch"] = torch_version();
  report["threads"] = torch_threads();
  report["interop_threads"] = torch_interop_threads();
  report["omp_num_threads"] = env_or("OMP_NUM_THREADS", "");
  report["blas"] = blas.name;
  report["blas_path"] = blas.path;
  report["blas_threads"] = blas.threads;
  report["blas_config"] = blas.config;
  report["torch_parallel_backend"] = torch_parallel_backend();
  report["sgemm_gflops"] = gflops;
  report["onednn_sgemm_gflops"] = onednn_gflops;
  report["cores"] = usable_cores();
  report["run_threads"] = runs.threads;
  report["run_blas_threads"] = runs.blas_threads;
  report["run_gemm"] = "auto";  // Measured per model: see runtime_table.
  if (!blas.fast || gflops < kSlowGflops) {
    problems.push_back(
        "matrix multiply is slow (" + blas.name + ", " + std::to_string(int(gflops)) +
        " GFLOP/s): install OpenBLAS with `sudo apt-get install libopenblas0-pthread`; if it is "
        "installed, select it with `sudo update-alternatives --config "
        "libblas.so.3-x86_64-linux-gnu`. Training is about 15x slower without it.");
  }
  // OpenBLAS 0.3.21 (Debian 12) does not recognise some newer Xeons and falls back to its SSE3
  // "Prescott" kernels: measured here 59-83 GFLOP/s against 167 with OPENBLAS_CORETYPE=Haswell.
  // Forcing a core is the user's call (older builds miscompute on some CPUs), so it is a hint.
  bool generic_core = blas.core == "Prescott" || blas.core == "Katmai" || blas.core == "Core2" ||
                      blas.core == "Nehalem" || blas.core == "Penryn" || blas.core == "Dunnington";
  if (generic_core && cpu_has_flag("avx2") && std::getenv("OPENBLAS_CORETYPE") == nullptr) {
    hints.push_back("OpenBLAS did not recognise this CPU and uses its generic " + blas.core +
                    " kernels although the CPU has AVX2" +
                    (cpu_has_flag("avx512f") ? " and AVX-512" : "") +
                    ". Compare: OPENBLAS_CORETYPE=Haswell slimlab-cli doctor; if sgemm is faster "
                    "and your results agree, export OPENBLAS_CORETYPE=Haswell.");
  }
  if (runs.threads > 1) {
    hints.push_back(
        "Running several runs at once? Give each its share of the cores with "
        "SLIMLAB_THREADS (e.g. SLIMLAB_THREADS=1 for two runs on two cores): runs "
        "with " +
        std::to_string(runs.threads) +
        " spinning OpenMP threads each slowed each other down 5-13x here.");
  }
  if (!env_or("OMP_NUM_THREADS", "").empty()) {
    // On this project's 2-core machine OMP_NUM_THREADS=2 gave LibTorch and OpenBLAS two threads
    // each and made training 2.3x slower. Runs now set both counts from their spec instead.
    hints.push_back("OMP_NUM_THREADS is set to " + env_or("OMP_NUM_THREADS", "") +
                    "; SlimLab's runs do not follow it: they use runtime.threads and "
                    "runtime.blas_threads from the spec (0 = automatic, shown above).");
  }

  bool fashion =
      std::filesystem::exists(std::string(kFashionMnistDir) + "/train-images-idx3-ubyte.gz");
  report["fashion_mnist"] = fashion ? kFashionMnistDir : "";
  if (!fashion) {
    problems.push_back(
        "Fashion-MNIST is not installed: sudo apt-get install dataset-fashion-mnist");
  }

  auto path = store_path(args);
  report["store"] = path;
  std::string store_line;
  try {
    if (!std::filesystem::exists(path)) {
      store_line = path + " (not created yet; the first run creates it)";
      report["store_schema"] = nullptr;
    } else {
      RunStore store(path, RunStore::Access::ReadOnly);
      int version = store.schema_version();
      report["store_schema"] = version;
      report["store_runs"] = store.list_runs().size();
      store_line = path + " (schema " + std::to_string(version) + ", " +
                   std::to_string(store.list_runs().size()) + " runs)";
    }
  } catch (const std::exception& e) {
    store_line = std::string("unusable: ") + e.what();
    problems.push_back(store_line);
  }
  report["problems"] = problems;
  report["hints"] = hints;

  std::printf("SlimLab %s doctor\n", slimlab_version());
  std::printf("  LibTorch        %s\n", torch_version().c_str());
  std::printf(
      "  Threads         LibTorch %d intra-op, %d inter-op (%s); BLAS %d; "
      "OMP_NUM_THREADS %s\n",
      torch_threads(), torch_interop_threads(), torch_parallel_backend().c_str(), blas.threads,
      env_or("OMP_NUM_THREADS", "unset").c_str());
  std::printf("  BLAS            %s%s%s\n", blas.name.c_str(), blas.path.empty() ? "" : " at ",
              blas.path.c_str());
  if (!blas.config.empty()) {
    std::printf("                  %s; kernels: %s\n", blas.config.c_str(), blas.core.c_str());
  }
  std::printf(
      "  Runs use        the fastest of these for their own model, measured at their first start "
      "and cached\n                  (spec: runtime.threads 0, runtime.gemm auto; %d cores)\n",
      usable_cores());
  std::printf("  Measured        training steps/s of mlp-fashion's MLP 256-128, batch 128:\n");
  for (size_t i = 0; i < table.size(); ++i) {
    std::printf("                  %d LibTorch + %d BLAS threads, %-6s gemm %8.0f%s\n",
                table[i].threads, table[i].blas_threads,
                table[i].gemm == GemmKind::OneDnn ? "oneDNN" : "BLAS", table[i].steps_per_second,
                i == fastest ? "  <- fastest" : "");
  }
  if (busy_within_share(others_busy, automatic_threads()) >= kBusyCores) {
    std::printf(
        "                  (other programs kept %.1f cores busy meanwhile: the figures "
        "of more threads are low)\n",
        others_busy);
  }
  std::printf("  sgemm 1024^3    %.1f GFLOP/s with the BLAS, %.1f with oneDNN (median of 5)\n",
              gflops, onednn_gflops);
  std::printf("  Fashion-MNIST   %s\n", fashion ? kFashionMnistDir : "missing");
  std::printf("  Run store       %s\n", store_line.c_str());
  if (!hints.empty()) {
    std::printf("To speed up:\n");
    for (const auto& h : hints) std::printf("  - %s\n", h.c_str());
  }
  if (problems.empty()) {
    std::printf("Everything SlimLab needs is here.\n");
  } else {
    std::printf("To fix:\n");
    for (const auto& p : problems) std::printf("  - %s\n", p.c_str());
  }
  if (args.json) std::printf("%s\n", report.dump().c_str());
  return problems.empty() ? kExitOk : kExitRunFailed;
}

}  // namespace slimlab::cli
