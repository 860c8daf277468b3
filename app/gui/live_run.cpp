#include "live_run.h"

#include "train/record_keys.h"
#include "util/paths.h"

namespace slimlab {

void LiveRun::reset() {
  std::lock_guard<std::mutex> lock(mutex_);
  pending_ = RunData{};
  phase_.clear();
  step_ = total_ = run_id_ = 0;
}

RunData LiveRun::take() {
  RunData taken;
  std::lock_guard<std::mutex> lock(mutex_);
  std::swap(taken, pending_);
  pending_.id = taken.id;
  return taken;
}

void LiveRun::add_metric(const std::string& key, int64_t step, double value) {
  pending_.metrics[key].push_back({key, step, wall_ms_, value});
}

std::string LiveRun::phase() {
  std::lock_guard<std::mutex> lock(mutex_);
  return phase_;
}

void LiveRun::on_phase(const std::string& what) {
  std::lock_guard<std::mutex> lock(mutex_);
  phase_ = what;
}

void LiveRun::on_start(const RunStartInfo& info) {
  std::lock_guard<std::mutex> lock(mutex_);
  phase_.clear();
  pending_.id = info.run_id;
  run_id_ = info.run_id;
  total_ = info.total_steps;
  step_ = info.start_step;
}

void LiveRun::on_step(const StepRecord& r) {
  std::lock_guard<std::mutex> lock(mutex_);
  wall_ms_ = now_ms();
  for_each_metric(r, [this](const std::string& k, int64_t s, double v) { add_metric(k, s, v); });
  step_ = r.step;
}

void LiveRun::on_eval(const EvalRecord& r) {
  std::lock_guard<std::mutex> lock(mutex_);
  wall_ms_ = now_ms();
  for_each_metric(r, [this](const std::string& k, int64_t s, double v) { add_metric(k, s, v); });
}

void LiveRun::on_event(const EventRecord& r) {
  std::lock_guard<std::mutex> lock(mutex_);
  pending_.events.push_back({r.step, now_ms(), r.kind, r.payload_json});
}

void LiveRun::on_router(const RouterRecord& r) {
  std::lock_guard<std::mutex> lock(mutex_);
  for_each_metric(r, [this](const std::string& k, int64_t s, double v) { add_metric(k, s, v); });
  pending_.expert_load.push_back({r.layer,
                                  r.step,
                                  {r.load_share.begin(), r.load_share.end()},
                                  {r.importance.begin(), r.importance.end()}});
}

void LiveRun::on_routing_matrix(const RoutingMatrixRecord& r) {
  std::lock_guard<std::mutex> lock(mutex_);
  pending_.routing.push_back({r.layer, r.step, r.split, r.classes, r.experts, r.counts});
}

}  // namespace slimlab
