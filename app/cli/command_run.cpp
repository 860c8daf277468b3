// `slimlab-cli run` and `resume`: the headless front end of core's run session.
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "commands.h"
#include "interrupt_guard.h"
#include "progress_bar.h"
#include "spec/experiment_spec.h"
#include "spec/spec_paths.h"
#include "store/run_store.h"
#include "train/distill_session.h"
#include "train/run_session.h"
#include "util/input_error.h"
#include "util/paths.h"

namespace slimlab::cli {

void print_distill(const nlohmann::json& d) {
  for (const auto& t : d["teachers"]) {
    std::printf("  teacher   %s, %lld parameters\n", t.value("teacher", "?").c_str(),
                t.value("params", 0LL));
  }
  std::printf("  student   %lld parameters; compression %.1fx\n", d.value("student_params", 0LL),
              d.value("compression", 0.0));
  if (d.contains("test_teacher_accuracy")) {
    std::printf("  test      teacher accuracy %.2f%%, top-1 agreement %.2f%%, mean KL %.4f\n",
                100 * d.value("test_teacher_accuracy", 0.0), 100 * d.value("test_agreement", 0.0),
                d.value("test_mean_kl", 0.0));
  }
  if (d.contains("gap_closed")) {
    std::printf(
        "  gap       student alone %.2f%% (run %lld): distillation closed %.1f%% of the "
        "gap to the teacher\n",
        100 * d.value("student_alone_accuracy", 0.0), d.value("baseline_run", 0LL),
        100 * d.value("gap_closed", 0.0));
  } else if (d.contains("student_alone_accuracy")) {
    std::printf(
        "  gap       none to close: the student alone (run %lld) reached %.2f%%, the "
        "teacher %.2f%%\n",
        d.value("baseline_run", 0LL), 100 * d.value("student_alone_accuracy", 0.0),
        100 * d.value("test_teacher_accuracy", 0.0));
  } else {
    std::printf("  gap       no student-alone run yet: add --baseline to measure the gap closed\n");
  }
}

namespace {

nlohmann::json finite_or_null(double value) {
  return std::isfinite(value) ? nlohmann::json(value) : nlohmann::json(nullptr);
}

}  // namespace

int report_run(const RunOutcome& outcome, const std::string& store, bool json) {
  const std::string& name = outcome.name;
  const auto& r = outcome.result;
  if (r.status == RunStatus::Finished) {
    std::printf("Run %lld (%s) finished: test accuracy %.2f%%, test loss %.4f\n",
                (long long)outcome.run_id, name.c_str(), 100 * r.test_accuracy, r.test_loss);
  } else {
    // A run's error names its own step (a divergence: the step whose loss went bad); only a
    // run without one is placed by the steps it completed.
    if (outcome.error.empty()) {
      std::printf("Run %lld (%s) %s after step %lld\n", (long long)outcome.run_id, name.c_str(),
                  status_name(r.status), (long long)r.steps);
    } else {
      std::printf("Run %lld (%s) %s: %s\n", (long long)outcome.run_id, name.c_str(),
                  status_name(r.status), outcome.error.c_str());
    }
    if (r.status == RunStatus::Cancelled) {
      std::printf("  continue it with: slimlab-cli --db %s resume %lld\n", store.c_str(),
                  (long long)outcome.run_id);
    }
  }
  const auto& c = outcome.cost;
  std::printf("  %lld parameters (%lld active per sample), %.3g MACs per sample\n",
              (long long)r.params, (long long)c.active_params, double(c.macs));
  std::printf("  %lld steps, %.1f s training at %.0f steps/s; first step done %.2f s after start\n",
              (long long)r.steps, r.train_seconds, r.steps_per_second, r.first_step_after_start);
  if (!outcome.distill_summary.is_null()) print_distill(outcome.distill_summary);
  if (!outcome.prune_summary.is_null()) print_prune_summary(outcome.prune_summary);
  print_method_summaries(outcome.method_summaries);
  std::printf("  stored in %s\n", store.c_str());
  if (json) {
    nlohmann::json j = {{"run_id", outcome.run_id},
                        {"run_uuid", outcome.run_uuid},
                        {"name", name},
                        {"status", status_name(r.status)},
                        {"params", r.params},
                        {"params_active", outcome.cost.active_params},
                        {"macs_per_sample", outcome.cost.macs},
                        {"steps", r.steps},
                        {"train_seconds", r.train_seconds},
                        {"steps_per_second", r.steps_per_second},
                        {"seconds_to_first_step", r.first_step_after_start},
                        {"runtime", runtime_to_json(r.runtime)},
                        // null, not 0, for a run that never evaluated.
                        {"validation_accuracy", finite_or_null(r.validation_accuracy)},
                        {"validation_loss", finite_or_null(r.validation_loss)},
                        {"store", store}};
    for (const auto& [key, value] : r.test_extra) j["test_" + key] = value;
    if (std::isfinite(outcome.gap_closed)) j["gap_closed"] = outcome.gap_closed;
    if (!outcome.prune_summary.is_null()) j["prune"] = outcome.prune_summary;
    for (const auto& item : outcome.method_summaries.items()) j[item.key()] = item.value();
    if (r.status == RunStatus::Finished) {
      j["test_accuracy"] = r.test_accuracy;
      j["test_loss"] = r.test_loss;
    } else {
      j["test_accuracy"] = nullptr;
      j["test_loss"] = nullptr;
      j["error"] = outcome.error;
    }
    std::printf("%s\n", j.dump().c_str());
  }
  switch (r.status) {
    case RunStatus::Finished:
      return kExitOk;
    case RunStatus::Cancelled:
      return kExitCancelled;
    default:
      return kExitRunFailed;
  }
}

bool has_baseline(const std::string& store, const ExperimentSpec& spec) {
  if (!std::filesystem::exists(store)) return false;
  RunStore s(store, RunStore::Access::ReadWrite);  // The run will write anyway.
  return find_baseline(s, spec).has_value();
}

ExperimentSpec load_spec(const std::string& path, const std::vector<std::string>& sets) {
  auto json = load_spec_file(path);  // Its relative paths mean files beside it.
  for (const auto& assignment : sets) apply_override(json, assignment);
  ExperimentSpec spec;
  try {
    spec = spec_from_json(json);
  } catch (const InputError& e) {
    throw InputError(path + ": " + e.what());
  }
  make_spec_paths_absolute(spec);  // --set paths are relative to here.
  return spec;
}

int command_run(const CliArgs& args) {
  if (args.positional.size() != 1) {
    throw UsageError("run needs one spec file, e.g. slimlab-cli run experiments/mlp-fashion.json");
  }
  ExperimentSpec spec = load_spec(args.positional[0], args.sets);
  auto store = store_path(args);
  if (spec.has_distill) {
    for (const auto& file : torchscript_teacher_files(spec.distill)) {
      std::fprintf(stderr,
                   "slimlab-cli: note: teacher %s is TorchScript, i.e. code that runs when it is "
                   "loaded; use only files you trust. Weights alone are safer: export them as "
                   "safetensors (slimlab-cli export RUN --safetensors FILE).\n",
                   file.c_str());
    }
  }
  RunControl control;
  InterruptGuard guard(control);
  ProgressBar progress(!args.quiet);
  if (args.baseline && (spec.has_distill || spec.has_prune) && !has_baseline(store, spec)) {
    std::printf("Training the %s first (--baseline): %s\n",
                spec.has_distill ? "student alone" : "dense network",
                baseline_spec(spec).name.c_str());
    auto alone = run_experiment(baseline_spec(spec), store, progress, control);
    progress.finish();
    if (int code = report_run(alone, store, false); code != kExitOk) return code;
  }
  auto outcome = run_experiment(spec, store, progress, control);
  progress.finish();
  return report_run(outcome, store, args.json);
}

int command_resume(const CliArgs& args) {
  if (args.positional.size() != 1) throw UsageError("resume needs a run id (see slimlab-cli list)");
  auto store = store_path(args);
  RunControl control;
  InterruptGuard guard(control);
  ProgressBar progress(!args.quiet);
  auto outcome = resume_experiment(store, args.positional[0], progress, control);
  progress.finish();
  return report_run(outcome, store, args.json);
}

}  // namespace slimlab::cli
