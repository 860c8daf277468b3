#pragma once

#include <atomic>
#include <mutex>

#include "run_data.h"
#include "train/train_observer.h"

namespace slimlab {

// No LibTorch here: Qt's `slots` macro would break its headers in Qt translation units.

/// The records of the run training now, passed from the training thread to the GUI thread.
/// The trainer side appends under a mutex held for a push_back; the GUI takes everything new
/// on its redraw timer (at most 25 times a second), so neither side waits on the other.
class LiveRun : public RunObserver {
 public:
  /// Forgets the previous run (before the next one starts).
  void reset();
  /// GUI thread: the records since the last call (empty when nothing arrived).
  RunData take();
  /// GUI thread: how far the run is, from the newest step record.
  int64_t step() const { return step_.load(); }
  int64_t total_steps() const { return total_.load(); }
  int64_t run_id() const { return run_id_.load(); }
  /// GUI thread: what the run prepares before its first step ("" once it trains).
  std::string phase();

  // Training thread.
  void on_phase(const std::string& what) override;
  void on_start(const RunStartInfo& info) override;
  void on_step(const StepRecord& r) override;
  void on_eval(const EvalRecord& r) override;
  void on_event(const EventRecord& r) override;
  void on_router(const RouterRecord& r) override;
  void on_routing_matrix(const RoutingMatrixRecord& r) override;

 private:
  void add_metric(const std::string& key, int64_t step, double value);

  std::mutex mutex_;
  RunData pending_;
  std::string phase_;
  int64_t wall_ms_ = 0;
  std::atomic<int64_t> step_{0}, total_{0}, run_id_{0};
};

}  // namespace slimlab
