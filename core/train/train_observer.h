#pragma once

#include <atomic>
#include <cstdint>
#include <string>

namespace slimlab {

/// Mean training loss and accuracy over the last `log_interval_steps` steps.
struct StepRecord {
  int64_t step = 0;  ///< Optimiser steps completed, 1-based.
  int64_t total_steps = 0;
  int64_t epoch = 0;  ///< 0-based epoch the step belongs to.
  double loss = 0;
  double accuracy = 0;
  double lr = 0;
  double elapsed_seconds = 0;  ///< Wall time in the training loop so far (this session).
  double steps_per_second = 0;
};

/// Loss and accuracy on a held-out split ("validation" or "test").
struct EvalRecord {
  int64_t step = 0;
  std::string split;
  double loss = 0;
  double accuracy = 0;
  int64_t examples = 0;
};

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
};

/// Commands into a running trainer, read between batches (any thread may set them).
struct RunControl {
  std::atomic<bool> stop{false};
};

}  // namespace slimlab
