#include "run_data.h"

namespace slimlab {

void RunData::merge(const RunData& delta) {
  for (const auto& [key, rows] : delta.metrics) {
    auto& mine = metrics[key];
    mine.insert(mine.end(), rows.begin(), rows.end());
  }
  expert_load.insert(expert_load.end(), delta.expert_load.begin(), delta.expert_load.end());
  routing.insert(routing.end(), delta.routing.begin(), delta.routing.end());
  events.insert(events.end(), delta.events.begin(), delta.events.end());
  if (!delta.status.isEmpty()) status = delta.status;
  if (delta.steps_per_epoch > 0) steps_per_epoch = delta.steps_per_epoch;
}

const std::vector<MetricRow>& RunData::series(const std::string& key) const {
  static const std::vector<MetricRow> kNone;
  auto it = metrics.find(key);
  return it == metrics.end() ? kNone : it->second;
}

double RunData::last(const std::string& key, double fallback) const {
  const auto& rows = series(key);
  return rows.empty() ? fallback : rows.back().value;
}

std::vector<std::string> RunData::keys_with_prefix(const std::string& prefix) const {
  std::vector<std::string> keys;
  for (const auto& [key, rows] : metrics) {
    if (key.rfind(prefix, 0) == 0) keys.push_back(key);
  }
  return keys;
}

}  // namespace slimlab
