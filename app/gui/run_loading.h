#pragma once

#include <string>
#include <vector>

#include "run_data.h"

namespace slimlab {

/// A stored run as the views draw it: metrics by key, router records, events. Reads the store;
/// call it off the GUI thread (QtConcurrent). Throws StoreError.
RunData load_run_data(const std::string& store_path, int64_t run_id);

/// Steps per epoch of a run whose validation ran once per epoch (the default): the step of
/// its first validation; 0 when that cannot be told.
int64_t guess_steps_per_epoch(const RunData& run, const std::string& spec_json);

/// Histogram of log10 |w| over the non-zero weights of the layers a finished pruned run
/// pruned, and the smallest surviving |w| (the effective threshold).
struct WeightHistogram {
  std::vector<double> edges;
  std::vector<double> counts;
  double threshold = 0;
};
/// Empty for runs without pruning or without a final checkpoint. Loads LibTorch weights; call
/// it off the GUI thread.
WeightHistogram weight_histogram(const std::string& store_path, int64_t run_id);

}  // namespace slimlab
