// SlimLab's side of the benchmark suite (packaging/bench.sh runs it beside the PyTorch peer).
// A benchmark, not a test: it prints one JSON object per command.
//   slimlab-bench-train train SPEC [--batch B] [--warmup W] [--steps N] [--recorded]
//                                  [--set field=value ...]
//       Training steps/s of the preset through the real Trainer (the loop every run uses),
//       timed from the end of step W to the end of step W+N. --recorded goes through
//       run_experiment instead: the same loop with the run store's writer recording every step.
//   slimlab-bench-train sgemm         OpenBLAS and oneDNN sgemm GFLOP/s, 1024^3
//   slimlab-bench-train store [ROWS]  metric rows per second through the StoreWriter
#include <torch/torch.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "data/dataset.h"
#include "measure/model_cost.h"
#include "measure/system_info.h"
#include "nn/gemm.h"
#include "spec/experiment_spec.h"
#include "store/run_store.h"
#include "store/store_writer.h"
#include "train/run_session.h"
#include "train/runtime.h"
#include "train/trainer.h"

using namespace slimlab;
using Clock = std::chrono::steady_clock;

namespace {

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

/// Notes the time when steps `from` and `to` finish (both multiples of the log interval).
class StepClock : public RunObserver {
 public:
  StepClock(int64_t from, int64_t to) : from_(from), to_(to) {}
  void on_step(const StepRecord& r) override {
    if (r.step == from_) start_ = Clock::now();
    if (r.step == to_) seconds = std::chrono::duration<double>(Clock::now() - start_).count();
  }
  double seconds = 0;

 private:
  int64_t from_, to_;
  Clock::time_point start_;
};

/// Multiply-accumulates per example of one training step of an MLP, counted exactly: forward
/// x W^T, the weight gradient of every layer, and the input gradient of every layer but the
/// first (the data needs none).
int64_t mlp_training_macs(const ModelSpec& model, int64_t inputs, int64_t classes) {
  std::vector<int64_t> widths = {inputs};
  for (int64_t h : model.mlp.hidden()) widths.push_back(h);
  widths.push_back(classes);
  int64_t macs = 0;
  for (size_t i = 0; i + 1 < widths.size(); ++i) {
    int64_t layer = widths[i] * widths[i + 1];
    macs += 2 * layer + (i > 0 ? layer : 0);
  }
  return macs;
}

int bench_train(const std::vector<std::string>& args) {
  if (args.empty()) {
    std::fprintf(stderr, "usage: slimlab-bench-train train SPEC [--batch B] ...\n");
    return 2;
  }
  auto json = load_json_file(args[0]);
  int64_t warmup = 20, steps = 200;
  bool recorded = false;
  for (size_t i = 1; i < args.size(); ++i) {
    const auto& a = args[i];
    auto next = [&]() -> std::string { return i + 1 < args.size() ? args[++i] : ""; };
    if (a == "--batch") {
      apply_override(json, "data.batch_size=" + next());
    } else if (a == "--warmup") {
      warmup = std::stoll(next());
    } else if (a == "--steps") {
      steps = std::stoll(next());
    } else if (a == "--set") {
      apply_override(json, next());
    } else if (a == "--recorded") {
      recorded = true;
    }
  }
  // Logged every 10 steps as the presets are; no evaluation or checkpoint inside the window.
  apply_override(json, "schedule.log_interval_steps=10");
  apply_override(json, "schedule.steps=" + std::to_string(warmup + steps));
  apply_override(json, "schedule.eval_interval_steps=" + std::to_string(warmup + steps));
  apply_override(json, "schedule.checkpoint_interval_steps=" + std::to_string(warmup + steps));
  auto spec = spec_from_json(json);
  StepClock clock(warmup, warmup + steps);
  RuntimeChoice runtime;
  auto data = load_data(spec.data, spec.seed);
  auto cost = model_cost(spec.model, data.sample_shape, data.classes);
  int64_t inputs = 1;
  for (int64_t d : data.sample_shape) inputs *= d;
  if (recorded) {
    auto store = (std::filesystem::temp_directory_path() / "slimlab-bench-train.sqlite").string();
    std::filesystem::remove(store);
    RunControl control;
    auto outcome = run_experiment(spec, store, clock, control);
    runtime = outcome.result.runtime;
    std::filesystem::remove(store);
    std::filesystem::remove(store + "-wal");
    std::filesystem::remove(store + "-shm");
    if (outcome.result.status != RunStatus::Finished) {
      std::fprintf(stderr, "run failed: %s\n", outcome.error.c_str());
      return 1;
    }
  } else {
    Trainer trainer(spec, std::move(data));
    runtime = trainer.runtime();
    RunControl control;
    trainer.run(clock, control);
  }
  const double steps_per_second = double(steps) / clock.seconds;
  const int64_t batch = spec.data.batch_size;
  // Nominal training cost: 3 x the forward MACs (forward, input and weight gradients).
  const double nominal_gflops = steps_per_second * double(batch) * 3.0 * double(cost.macs) * 2e-9;
  nlohmann::json out = {{"side", "slimlab"},
                        {"spec", std::filesystem::path(args[0]).filename().string()},
                        {"batch", batch},
                        {"steps", steps},
                        {"recorded", recorded},
                        {"seconds", clock.seconds},
                        {"steps_per_second", steps_per_second},
                        {"threads", runtime.threads},
                        {"blas_threads", runtime.blas_threads},
                        {"gemm", gemm_name(runtime.gemm)},
                        {"runtime", runtime_to_json(runtime)},
                        {"macs_per_sample", cost.macs},
                        {"nominal_gflops", nominal_gflops}};
  if (spec.model.kind == ModelKind::Mlp) {
    out["training_macs_per_sample"] = mlp_training_macs(spec.model, inputs, data.classes);
    out["gflops"] = steps_per_second * double(batch) *
                    double(mlp_training_macs(spec.model, inputs, data.classes)) * 2e-9;
  }
  std::printf("%s\n", out.dump().c_str());
  return 0;
}

int bench_sgemm() {
  RuntimeSpec spec;  // What a run gets by default on this machine.
  auto runtime = apply_runtime(spec);
  nlohmann::json out = {{"threads", runtime.threads}, {"blas_threads", runtime.blas_threads}};
  out["onednn_gflops"] = measure_onednn_sgemm_gflops(1024, 7);
  out["blas_gflops_at_run_threads"] = measure_sgemm_gflops(1024, 7);
  // The BLAS on its own, with every core (what `doctor` reports and PyTorch uses by default).
  set_blas_threads(usable_cores());
  out["blas_gflops"] = measure_sgemm_gflops(1024, 7);
  out["blas"] = active_blas().name;
  out["blas_core"] = active_blas().core;
  std::printf("%s\n", out.dump().c_str());
  return 0;
}

int bench_store(int64_t rows) {
  auto path = (std::filesystem::temp_directory_path() / "slimlab-bench-store.sqlite").string();
  std::filesystem::remove(path);
  int64_t run_id;
  {
    RunStore store(path, RunStore::Access::ReadWrite);
    NewRun row;
    row.name = "bench";
    row.spec_json = "{}";
    row.env_json = "{}";
    run_id = store.create_run(row);
  }
  // The keys a logged step of an MoE run writes, round robin.
  const std::vector<std::string> keys = {
      "train/loss",    "train/accuracy",     "train/aux_loss", "train/lr", "train/steps_per_second",
      "moe/0/load_cv", "moe/0/dropped_share"};
  double push_seconds, total_seconds;
  {
    StoreWriter writer(path, run_id);
    auto start = Clock::now();
    for (int64_t i = 0; i < rows; ++i) {
      writer.metric(keys[size_t(i) % keys.size()], i / int64_t(keys.size()), double(i) * 1e-3);
    }
    push_seconds = seconds_since(start);
    writer.flush();
    total_seconds = seconds_since(start);
    if (!writer.error().empty()) {
      std::fprintf(stderr, "store error: %s\n", writer.error().c_str());
      return 1;
    }
  }
  auto stored = int64_t(RunStore(path, RunStore::Access::ReadOnly).metrics(run_id).size());
  std::filesystem::remove(path);
  std::filesystem::remove(path + "-wal");
  std::filesystem::remove(path + "-shm");
  nlohmann::json out = {{"rows", rows},
                        {"stored", stored},
                        {"seconds", total_seconds},
                        {"rows_per_second", double(rows) / total_seconds},
                        {"push_microseconds_per_row", push_seconds / double(rows) * 1e6}};
  std::printf("%s\n", out.dump().c_str());
  return stored == rows ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  limit_interop_threads();
  std::vector<std::string> args(argv + 1, argv + argc);
  const std::string command = args.empty() ? "" : args[0];
  if (!args.empty()) args.erase(args.begin());
  try {
    if (command == "train") return bench_train(args);
    if (command == "sgemm") return bench_sgemm();
    if (command == "store") return bench_store(args.empty() ? 1'000'000 : std::stoll(args[0]));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "slimlab-bench-train: %s\n", e.what());
    return 1;
  }
  std::fprintf(stderr, "usage: slimlab-bench-train train SPEC [options] | sgemm | store [ROWS]\n");
  return 2;
}
