#pragma once

// Test observers shared by the trainer and pruning tests.
#include <vector>

#include "train/train_observer.h"

namespace slimlab::testing {

/// Keeps every record the trainer reports.
struct Recorder : TrainObserver {
  std::vector<StepRecord> steps;
  std::vector<EvalRecord> evals;
  std::vector<EventRecord> events;
  std::vector<CheckpointRecord> checkpoints;
  std::vector<RouterRecord> routers;
  void on_step(const StepRecord& r) override { steps.push_back(r); }
  void on_eval(const EvalRecord& r) override { evals.push_back(r); }
  void on_event(const EventRecord& r) override { events.push_back(r); }
  void on_checkpoint(const CheckpointRecord& r) override { checkpoints.push_back(r); }
  void on_router(const RouterRecord& r) override { routers.push_back(r); }
};

/// Keeps every record and stops the run at the first log step at or after `at_step`.
struct StopAt : Recorder {
  StopAt(RunControl& control, int64_t at_step) : control(control), at_step(at_step) {}
  void on_step(const StepRecord& r) override {
    Recorder::on_step(r);
    if (r.step >= at_step) control.stop = true;
  }
  RunControl& control;
  int64_t at_step;
};

}  // namespace slimlab::testing
