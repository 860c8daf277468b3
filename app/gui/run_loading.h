#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "run_data.h"
#include "run_table.h"

namespace slimlab {

struct ExperimentSpec;

/// What `spec` is made of (MoE, pruning, distillation, 2-D data), for the tabs that apply to
/// some runs only. Any thread.
RunTraits run_traits(const ExperimentSpec& spec);

/// A stored run as the views draw it: metrics by key, router records, events. Reads the store;
/// call it off the GUI thread (QtConcurrent). Throws StoreError.
RunData load_run_data(const std::string& store_path, int64_t run_id);

/// Every run of the store with its headline figures, for the run table and the Pareto plot.
std::vector<RunSummary> load_run_summaries(const std::string& store_path);

/// Runs to compare: their records and stored specs, and every run's summary (`all`, as the run
/// table last read them: the store is not read twice for one reload).
struct ComparedRuns {
  std::vector<RunData> runs;
  std::vector<nlohmann::json> specs;
  std::vector<RunSummary> all;
  QString error;
};
ComparedRuns load_compared_runs(const std::string& store_path, const std::vector<qint64>& ids,
                                std::vector<RunSummary> all);

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

namespace slimlab {

/// A finished 2-D run's plane: on a size x size grid over its data, the predicted class and (for
/// a moe-mlp) the first MoE layer's winning expert, plus up to 600 training points.
struct PlaneMap {
  int size = 0;  ///< 0 = not a 2-D run (or no final weights).
  double x0 = 0, x1 = 0, y0 = 0, y1 = 0;
  int classes = 0, experts = 0;  ///< experts 0 without MoE layers.
  std::vector<int> decision;     ///< [size * size], row-major over y then x.
  std::vector<int> expert;       ///< The same, or empty.
  std::vector<double> px, py;
  std::vector<int> label;
};
/// Loads LibTorch weights: call it off the GUI thread. Empty for image runs.
PlaneMap plane_map(const std::string& store_path, int64_t run_id, int size = 160);

}  // namespace slimlab
