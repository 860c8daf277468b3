#pragma once

// The compression-method seam (DESIGN.md, "method/"): what the trainer knows of a compression
// method. A method (pruning, distillation, ...) lives in its own folder, derives from
// CompressionMethod and overrides the hooks it needs; the trainer holds a list of them and calls
// every hook of every method, in the list's order, at fixed points of its loop. No hook is called
// from another thread than the training thread.
//
// One training step, in order (step = optimiser steps done before it, 0-based):
//   before_step(step)                  -> events (e.g. a prune step)
//   forward pass (with feature_layers() taps when any method asks for them)
//   after_forward(batch, outputs)
//   task loss: cross-entropy of the logits, mean over the batch
//   loss(batch, outputs, task_loss, total, terms)   -> the new total, one method after another
//   backward
//   after_backward()
//   optimiser step
//   after_optimizer_step()
// At each log step: log_metrics(step). At each evaluation: evaluate(...) with the split's logits
// (when wants_eval_logits()). In each checkpoint: save / load. After a finished run: summarise().
// prepare() runs once, when the method joins the trainer, before any step and before a checkpoint
// is restored.

#include <torch/nn/module.h>
#include <torch/optim/optimizer.h>
#include <torch/serialize/archive.h>
#include <torch/types.h>

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace slimlab {

struct DataSplits;
struct TensorDataset;

/// What a method may use when it joins a trainer. The references outlive the method.
struct MethodSetup {
  torch::nn::Module& model;  ///< The network being trained (its parameters, named modules).
  /// The trainer's optimiser: a method may add parameter groups that learn with the model
  /// (distillation's hint projections), or clear its state (pruning's rewind).
  torch::optim::Optimizer& optimizer;
  const DataSplits& data;  ///< train / validation / test splits, already normalised.
  int64_t total_steps = 0;
};

/// One training batch.
struct StepBatch {
  int64_t step = 0;         ///< Optimiser steps done before this one.
  int64_t total_steps = 0;  ///< Of the whole run.
  const torch::Tensor& x;   ///< [B, ...] float32 inputs, as the model takes them.
  const torch::Tensor& y;   ///< [B] int64 class labels.
  /// [B] int64 rows of data.train in this batch. Like every tensor here, valid during the hook
  /// only (a view of the epoch's order): clone() what must outlive it.
  const torch::Tensor& index;
};

/// What the forward pass of a training batch produced.
struct StepOutputs {
  const torch::Tensor& logits;  ///< [B, C] float32.
  /// Per entry of this method's feature_layers(), in order: that layer's output, [B, ...].
  const std::vector<torch::Tensor>& features;
};

/// Where loss() puts what it adds, besides the total it returns.
struct LossTerms {
  /// Named values of the step's loss parts (coefficients applied), for the diagnosis of a
  /// diverged run: e.g. {"distillation soft (KL) loss", 0.41}.
  std::vector<std::pair<std::string, double>> named;
  /// Adds `value` to the log window's mean of `key` (e.g. "train/kd_soft"); the window is
  /// weighted by examples and logged at the next log step as the mean.
  void log(const std::string& key, double value) { (*window)[key] += value * examples; }
  std::map<std::string, double>* window = nullptr;
  double examples = 0;
};

/// A run that finished its schedule, as summarise() sees it.
struct FinishedRun {
  int64_t steps = 0;         ///< Optimiser steps in total.
  double test_accuracy = 0;  ///< [0, 1], of the final test evaluation.
  double test_loss = 0;      ///< Mean cross-entropy (nats) of that evaluation.
};

/// Something a hook reports once (a store event): kind and a JSON object as text.
struct MethodEvent {
  std::string kind;
  std::string payload_json;
};

/// A compression method as the trainer sees it. Every hook has a default that does nothing.
/// Hooks may throw InputError (bad input the method found late) or std::runtime_error; the
/// trainer does not catch them: the run fails with that message.
class CompressionMethod {
 public:
  virtual ~CompressionMethod() = default;

  /// The spec section's name and the run kind's part: "prune", "distill", ...
  virtual const char* key() const = 0;

  /// Once, when the method joins a trainer (before step 0 and before any checkpoint is
  /// restored into the trainer).
  virtual void prepare(const MethodSetup& setup) {}

  /// Layers (by module name, models/features.h) whose outputs loss() needs in
  /// StepOutputs::features. Asked once, after prepare().
  virtual std::vector<std::string> feature_layers() const { return {}; }

  /// At the top of step `step`, before the forward pass.
  virtual std::vector<MethodEvent> before_step(int64_t step) { return {}; }

  /// After the forward pass of a training batch, before any loss.
  virtual void after_forward(const StepBatch& batch, const StepOutputs& outputs) {}

  /// Returns the step's new total loss, given `total` (the task's cross-entropy `task_loss`, or
  /// what the methods before this one made of it). A method that re-weights the task loss
  /// (distillation's (1 - alpha) x CE) must come first in the trainer's list; it throws
  /// std::logic_error otherwise.
  virtual torch::Tensor loss(const StepBatch& batch, const StepOutputs& outputs,
                             const torch::Tensor& task_loss, torch::Tensor total,
                             LossTerms& terms) {
    return total;
  }

  /// Tensors the method trains beside the model (those it added to the optimiser in prepare()),
  /// by name: the diagnosis of a diverged run looks for the first non-finite one among them.
  virtual std::vector<std::pair<std::string, torch::Tensor>> named_parameters() const { return {}; }

  /// After backward(), before the optimiser step: the gradients are there.
  virtual void after_backward() {}

  /// After the optimiser step.
  virtual void after_optimizer_step() {}

  /// At a log step (`step` = optimiser steps done): extra metrics of the step's record,
  /// e.g. {"sparsity/global", 0.5}.
  virtual std::vector<std::pair<std::string, double>> log_metrics(int64_t step) const { return {}; }

  /// True when evaluate() needs the model's logits over the whole split.
  virtual bool wants_eval_logits() const { return false; }

  /// After the model evaluated `split` (named "validation" or "test"; `logits` [N, C] when
  /// wants_eval_logits(), else undefined): the evaluation record's further figures, e.g.
  /// {"agreement", 0.93}. `final` is true for the last evaluation of a finished run.
  virtual std::vector<std::pair<std::string, double>> evaluate(const torch::Tensor& logits,
                                                               const TensorDataset& split,
                                                               const std::string& split_name,
                                                               bool final) {
    return {};
  }

  /// Writes the method's state into a checkpoint (its own entries, under names no other part
  /// uses); load() reads them back into a freshly prepared method. load() throws
  /// std::runtime_error or c10::Error when the entries are missing or damaged.
  virtual void save(torch::serialize::OutputArchive& checkpoint) const {}
  virtual void load(torch::serialize::InputArchive& checkpoint) {}

  /// Once, after a run finished its schedule (after the final test evaluation, on the training
  /// thread): the run summary's object under key(), as JSON text, or "" for none. Figures the
  /// method changed for the whole network ("params_active", "macs_per_sample") replace the
  /// summary's own. A throw is recorded as that object's "summary_error"; the run stays finished.
  virtual std::string summarise(const FinishedRun& run) { return ""; }

  /// False when the method makes training steps cheaper as it goes (structured pruning): the
  /// runtime re-check (train/runtime_tuner.h) then does not compare speeds.
  virtual bool step_cost_is_fixed() const { return true; }
};

}  // namespace slimlab
