#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "moe/router_records.h"

namespace slimlab {

/// Mean training loss and accuracy over the last `log_interval_steps` steps.
struct StepRecord {
  int64_t step = 0;  ///< Optimiser steps completed, 1-based.
  int64_t total_steps = 0;
  int64_t epoch = 0;    ///< 0-based epoch the step belongs to.
  double loss = 0;      ///< Task (cross-entropy) loss.
  double aux_loss = 0;  ///< Sum of the MoE auxiliary losses (0 without MoE layers).
  double accuracy = 0;
  double lr = 0;
  double elapsed_seconds = 0;  ///< Wall time in the training loop so far (this session).
  double steps_per_second = 0;
  /// Further window means by metric key, e.g. {"train/kd_soft", 0.21} for distillation.
  std::vector<std::pair<std::string, double>> extra;
};

/// Loss and accuracy on a held-out split ("validation" or "test").
struct EvalRecord {
  int64_t step = 0;
  std::string split;
  double loss = 0;
  double accuracy = 0;
  int64_t examples = 0;
  /// Further figures by name, stored as "<split>/<name>", e.g. {"agreement", 0.93}.
  std::vector<std::pair<std::string, double>> extra;
};

/// Kinds of EventRecord that more than one layer names (the trainer emits, UIs react).
namespace event_kind {
inline constexpr char kDiverged[] = "diverged";  ///< {"reason": "..."}: the run stopped.
/// recheck_runtime_choice's payload: the cached runtime choice was dropped.
inline constexpr char kRuntimeStale[] = "runtime_stale";
}  // namespace event_kind

/// Something that happened once: "checkpoint", "diverged", "resumed", ...
struct EventRecord {
  int64_t step = 0;
  std::string kind;
  std::string payload_json;  ///< A JSON object with the details.
};

/// A serialised trainer state (model, optimiser, step, random generator).
struct CheckpointRecord {
  int64_t step = 0;
  std::string bytes;
};

/// How progress leaves the trainer: plain callbacks, called on the training thread, in order.
/// Records are values; an observer may keep or forward them to other threads.
class TrainObserver {
 public:
  virtual ~TrainObserver() = default;
  virtual void on_step(const StepRecord& record) {}
  virtual void on_eval(const EvalRecord& record) {}
  virtual void on_event(const EventRecord& record) {}
  virtual void on_checkpoint(const CheckpointRecord& record) {}
  virtual void on_router(const RouterRecord& record) {}
  virtual void on_routing_matrix(const RoutingMatrixRecord& record) {}
};

/// Called once the run exists in the store and training is about to start (training thread).
struct RunStartInfo {
  int64_t run_id = 0;
  int64_t start_step = 0;
  int64_t total_steps = 0;
  int64_t params = 0;
  int64_t train_examples = 0;
  /// The threads and gemm the run trains with, and how they were chosen (runtime_summary).
  std::string runtime;
};

/// Extends TrainObserver with the start of a run; UIs (CLI progress bar, Qt bridge) implement it.
class RunObserver : public TrainObserver {
 public:
  /// What the run prepares before it exists in the store and trains, e.g. "reading the data"
  /// or "computing the teachers' outputs on the transfer set" (a minute for a large teacher);
  /// called on the training thread before on_start, so a UI can say why nothing moves yet.
  virtual void on_phase(const std::string& what) {}
  virtual void on_start(const RunStartInfo& info) {}
};

/// Commands into a running trainer, read between batches (any thread may set them).
struct RunControl {
  std::atomic<bool> stop{false};
  /// While set, the trainer waits between batches (stop still ends the run).
  std::atomic<bool> pause{false};
};

}  // namespace slimlab
