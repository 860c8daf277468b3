#pragma once

#include <QString>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "store/run_store.h"

namespace slimlab {

/// What a run is made of, so that each view can say whether it applies (the Experts tab to MoE
/// runs, the Plane tab to 2-D data, ...). Filled from the run's spec.
struct RunTraits {
  bool known = false;    ///< False until the spec was read (an empty window, a failed read).
  bool moe = false;      ///< The model has MoE layers (moe-mlp).
  bool prune = false;    ///< The spec has a prune section.
  bool distill = false;  ///< The spec has a distill section (a teacher).
  bool plane = false;    ///< Trained on generated 2-D points: the plane maps apply.
  QString dataset;       ///< The spec's dataset name ("fashion-mnist", "spirals", ...).
};

/// Everything the views draw of one run: its metrics by key, router records and events, from
/// the store (a past run) or from the live bridge (a run training now). Plain data; no Qt
/// objects, so it can be filled on any thread and handed to the GUI thread.
struct RunData {
  int64_t id = 0;
  QString name;
  QString status;
  int64_t steps_per_epoch = 0;  ///< For the epoch axis; 0 when unknown.
  RunTraits traits;
  std::map<std::string, std::vector<MetricRow>> metrics;  ///< By key, in step order.
  std::vector<ExpertLoadRow> expert_load;                 ///< By layer, then step.
  std::vector<RoutingMatrixRow> routing;
  std::vector<EventRow> events;

  /// Appends `delta`'s records (newer steps of the same run).
  void merge(const RunData& delta);
  /// The points of `key`, or an empty list.
  const std::vector<MetricRow>& series(const std::string& key) const;
  /// The last value of `key`, or `fallback`.
  double last(const std::string& key, double fallback = 0.0) const;
  /// Metric keys starting with `prefix`, sorted.
  std::vector<std::string> keys_with_prefix(const std::string& prefix) const;
};

}  // namespace slimlab
