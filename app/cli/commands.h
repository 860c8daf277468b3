#pragma once

#include <nlohmann/json_fwd.hpp>

#include "cli_args.h"
#include "spec/experiment_spec.h"
#include "store/run_store.h"
#include "train/run_session.h"

namespace slimlab::cli {

/// Exit codes of slimlab-cli.
enum ExitCode : int {
  kExitOk = 0,
  kExitRunFailed = 1,   ///< The run failed or diverged; doctor found a problem.
  kExitBadInput = 2,    ///< Usage, spec or data errors.
  kExitStore = 3,       ///< The run store could not be opened or written.
  kExitCancelled = 130  ///< Stopped with Ctrl-C (the run is kept as cancelled).
};

int command_run(const CliArgs& args);
int command_resume(const CliArgs& args);
int command_list(const CliArgs& args);
int command_show(const CliArgs& args);
int command_export(const CliArgs& args);
int command_doctor(const CliArgs& args);
int command_sensitivity(const CliArgs& args);
int command_tune(const CliArgs& args);
/// Prints a finished (or stopped) run's figures, its methods' summaries and, with `json`, one
/// JSON line; returns the exit code its status means.
int report_run(const RunOutcome& outcome, const std::string& store, bool json);

/// Reads a spec file, applies --set overrides and makes file paths absolute. Throws InputError
/// naming the file and field.
ExperimentSpec load_spec(const std::string& path, const std::vector<std::string>& sets);

/// Prints a pruned run's reality summary: mask vs physical size, MACs, bytes, latency, accuracy.
void print_prune_summary(const nlohmann::json& summary);
/// Prints the per-layer table of `run` (from its prune report, or computed from its weights)
/// and, for a pruned run, the reality summary.
void print_layers(slimlab::RunStore& store, const slimlab::RunRow& run);
/// The same as JSON: {"table": ..., "report": ...}.
nlohmann::json layers_json(slimlab::RunStore& store, const slimlab::RunRow& run);

/// Prints the final expert load and class x expert table of every MoE layer of `run`.
void print_experts(slimlab::RunStore& store, const slimlab::RunRow& run);
/// The same as JSON: [{layer, step, load, importance, routing: {split: {...}}}].
nlohmann::json experts_json(slimlab::RunStore& store, const slimlab::RunRow& run);

/// Prints a distillation run's teachers, compression, agreement and gap closed.
void print_distill(const nlohmann::json& summary);
/// Prints a registered method's summary (method/method_registry.h) in generic form: its
/// label, every figure (nested objects as "latency.dense.median_ms") and each list of objects
/// as a table.
void print_method_summary(const std::string& key, const nlohmann::json& summary);
/// The same for every registered method's object in a run's summary, in registry order.
void print_method_summaries(const nlohmann::json& run_summary);

/// The store path the user chose with --db, or the default.
std::string store_path(const CliArgs& args);

}  // namespace slimlab::cli
