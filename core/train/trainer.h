#pragma once

#include <torch/nn/module.h>
#include <torch/nn/modules/container/any.h>

#include <limits>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "data/dataset.h"
#include "method/compression_method.h"
#include "spec/experiment_spec.h"
#include "store/run_status.h"
#include "train/runtime.h"
#include "train/train_observer.h"

namespace slimlab {

/// Loads the model weights of checkpoint bytes (made by Trainer::checkpoint) into `module`.
/// Throws std::runtime_error when they do not fit, InputError (one) naming the tensor when a
/// weight is NaN or Inf.
void load_model_weights(torch::nn::Module& module, const std::string& checkpoint_bytes);

/// What a finished (or stopped) training session reports.
struct TrainResult {
  RunStatus status = RunStatus::Finished;
  int64_t steps = 0;  ///< Optimiser steps completed in total (including before a resume).
  double test_loss = 0;
  double test_accuracy = 0;
  /// The last validation figures; NaN when the run never evaluated (no validation split, or
  /// stopped before its first evaluation).
  double validation_loss = std::numeric_limits<double>::quiet_NaN();
  double validation_accuracy = std::numeric_limits<double>::quiet_NaN();
  int64_t params = 0;
  double train_seconds = 0;  ///< Wall time of this session's training steps (no evaluation).
  double steps_per_second = 0;
  /// Seconds from the program's start (program_uptime_seconds) to the end of this session's
  /// first step: what a user waits for after typing the command (data, model, the step).
  /// 0 when no step ran.
  double first_step_after_start = 0;
  std::string error;      ///< Why a run diverged.
  RuntimeChoice runtime;  ///< The threads and gemm it trained with, and how they were chosen.
  /// The test evaluation's further figures (distillation: teacher_accuracy, agreement, ...).
  std::vector<std::pair<std::string, double>> test_extra;
};

/// Trains the model a spec describes on `data`: the one loop every run goes through, from the
/// CLI or the GUI. The spec's compression methods (pruning, distillation) join it through
/// add_method: add_spec_methods (train/spec_methods.h) adds those a spec asks for; a Trainer
/// alone trains the bare model. Deterministic for a given spec and seed; resumable from any
/// checkpoint it made.
///   Trainer trainer(spec, load_data(spec.data, spec.seed));
///   auto result = trainer.run(observer, control);
class Trainer {
 public:
  Trainer(const ExperimentSpec& spec, DataSplits data);
  ~Trainer();
  Trainer(const Trainer&) = delete;
  Trainer& operator=(const Trainer&) = delete;

  /// Restores model, optimiser, step count and random state from checkpoint bytes.
  /// Throws std::runtime_error when the bytes do not belong to this spec's model, InputError
  /// naming the tensor when a weight is NaN or Inf.
  void restore(const std::string& checkpoint_bytes);

  /// Trains from the current step to the end of the schedule, or until `control.stop` is set
  /// (checked between batches; the result is then Cancelled). Evaluates the test split at the end
  /// of a finished run. Call on the thread that owns the trainer.
  TrainResult run(TrainObserver& observer, const RunControl& control);

  /// Evaluates on a split; returns {loss, accuracy}.
  std::pair<double, double> evaluate(const TensorDataset& split);

  std::string checkpoint() const;
  int64_t step() const;
  int64_t total_steps() const;
  int64_t steps_per_epoch() const;
  int64_t parameter_count() const;
  /// The threads and gemm this trainer set for the process.
  const RuntimeChoice& runtime() const;
  const DataSplits& data() const;
  /// The network being trained (to initialise it before run(), e.g. by upcycling).
  torch::nn::Module& module();
  torch::nn::AnyModule& model();
  /// Adds a compression method (method/compression_method.h): calls its prepare() now, on
  /// this thread. Add methods before restore() and run(); they run in the order added.
  /// Propagates what prepare() throws (InputError naming the spec field).
  void add_method(std::unique_ptr<CompressionMethod> method);
  /// The methods added, in order.
  const std::vector<std::unique_ptr<CompressionMethod>>& methods() const;
  /// The first added method of type M (e.g. PruneMethod), or null.
  template <class M>
  M* find_method() const {
    for (const auto& method : methods()) {
      if (auto* found = dynamic_cast<M*>(method.get())) return found;
    }
    return nullptr;
  }

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace slimlab
