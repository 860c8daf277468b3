#pragma once

#include <nlohmann/json_fwd.hpp>

#include <string>

#include "spec/experiment_spec.h"
#include "train/trainer.h"

namespace slimlab {

/// Loads the weights of the finished run `spec.prune.from_run` names into the trainer's model
/// (prune and fine-tune a trained network) and pins the reference to the run's uuid. Returns
/// the run's id. Throws InputError naming prune.from_run when the run is missing or its model
/// differs.
int64_t start_from_run(Trainer& trainer, ExperimentSpec& spec, const std::string& store_path);

/// After a pruned run: the report of prune_report() and the summary's "prune" object (mask
/// sparsity, physical parameters, speed-up and, when the dense baseline run exists, its test
/// accuracy and the drop).
struct PruneOutcome {
  nlohmann::json report;
  nlohmann::json summary;
};
PruneOutcome summarize_pruning(Trainer& trainer, const ExperimentSpec& spec,
                               const std::string& store_path, double test_accuracy);

}  // namespace slimlab
