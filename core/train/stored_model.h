#pragma once

#include <string>

#include "spec/experiment_spec.h"
#include "store/run_store.h"

namespace slimlab {

/// A finished run's row, spec and newest checkpoint: what a teacher or an upcycled model is
/// built from.
struct StoredModel {
  RunRow run;
  ExperimentSpec spec;
  std::string checkpoint;
};

/// Finds a finished run by name (the newest of that name), id or uuid prefix in the store at
/// `store_path`. Throws InputError starting with `field` when there is no store, no such run,
/// or the run is unfinished or kept no checkpoint. Migrates an older store (the caller is about
/// to write a run into it).
StoredModel load_finished_run(const std::string& store_path, const std::string& reference,
                              const std::string& field);

}  // namespace slimlab
