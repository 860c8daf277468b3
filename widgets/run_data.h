#pragma once

#include <QString>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "store/run_store.h"

namespace slimlab {

/// Everything the views draw of one run: its metrics by key, router records and events, from
/// the store (a past run) or from the live bridge (a run training now). Plain data; no Qt
/// objects, so it can be filled on any thread and handed to the GUI thread.
struct RunData {
  int64_t id = 0;
  QString name;
  QString status;
  int64_t steps_per_epoch = 0;                            ///< For the epoch axis; 0 when unknown.
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
