#pragma once

#include <cstdint>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>

#include "measure/model_cost.h"
#include "spec/experiment_spec.h"
#include "train/trainer.h"

namespace slimlab {

/// What the caller of run_experiment / resume_experiment gets back.
struct RunOutcome {
  int64_t run_id = 0;
  std::string run_uuid;
  std::string name;
  TrainResult result;
  ModelCost cost;  ///< Parameters (total, active) and MACs per sample.
  /// Distillation: share of the teacher-student gap closed; NaN without a baseline run.
  double gap_closed = std::numeric_limits<double>::quiet_NaN();
  /// Distillation runs: teachers, compression, test agreement, gap closed (JSON object).
  nlohmann::json distill_summary;
  /// Pruning runs: mask sparsity, physical size, latency and speed-up, accuracy drop.
  nlohmann::json prune_summary;
  /// Registered methods' summaries of a finished run, by key ({"lowrank": {...}}).
  nlohmann::json method_summaries = nlohmann::json::object();
  std::string error;  ///< Failure or divergence reason, or a store write error.
};

/// The one path of a run, from the CLI or the GUI: load data, build the trainer (bad input
/// fails here, before anything is stored), create the run in the store, train while the store
/// writer records every step, eval, event and checkpoint, then set the final status.
/// Throws InputError / StoreError for problems found before the run was created.
RunOutcome run_experiment(const ExperimentSpec& requested, const std::string& store_path,
                          RunObserver& observer, const RunControl& control);

/// Continues a stored run from its newest checkpoint, under the same run id.
RunOutcome resume_experiment(const std::string& store_path, const std::string& run_reference,
                             RunObserver& observer, const RunControl& control);

}  // namespace slimlab
