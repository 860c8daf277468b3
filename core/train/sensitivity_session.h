#pragma once

#include <string>
#include <vector>

#include "prune/sensitivity.h"
#include "spec/experiment_spec.h"
#include "train/run_session.h"

namespace slimlab {

/// What `slimlab-cli sensitivity` reports.
struct SensitivityOutcome {
  int64_t run_id = 0;  ///< The trained run analysed (its rows are stored under it).
  std::string run_name;
  bool trained_now = false;  ///< False when an earlier finished run was reused.
  std::string split;         ///< "validation" (or "test" when the spec holds none back).
  std::vector<SensitivityRow> rows;
};

/// The sensitivity analysis of a spec's prune section: finds the trained dense network (the run
/// `prune.from_run` names, or the newest finished run of the spec without pruning; trains it
/// first when there is none or `retrain` is set), prunes each layer alone at each sparsity,
/// evaluates on the validation split (never the test split, which choosing ratios must not
/// see) and stores the rows with that run. Bad input throws InputError before any training.
SensitivityOutcome run_sensitivity(const ExperimentSpec& spec, const std::string& store_path,
                                   RunObserver& observer, const RunControl& control, bool retrain,
                                   const std::function<void(size_t, size_t)>& progress = {});

}  // namespace slimlab
