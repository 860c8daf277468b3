#pragma once

// Internal to core/train: the trainer's state, shared by trainer.cpp (the loop),
// trainer_eval.cpp (evaluation) and trainer_checkpoint.cpp (checkpoints).

#include <torch/torch.h>

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "method/compression_method.h"
#include "moe/moe_layer.h"
#include "moe/router_stats.h"
#include "train/runtime.h"
#include "train/trainer.h"
#include "train/training_slots.h"

namespace slimlab {

/// The optimiser a spec asks for, over `params` (the trainer's, and the runtime tuner's scratch
/// copy).
std::unique_ptr<torch::optim::Optimizer> make_optimizer(const OptimizerSpec& spec,
                                                        std::vector<torch::Tensor> params);

/// A training loss this many times the chance level ln(classes) means the run has diverged even
/// while it is still finite (dead ReLUs after a huge step keep it finite but useless).
constexpr double kExplodedOverChance = 1000.0;

/// Sums over the current log window, weighted by examples (the aux loss and extras too). Kept in
/// checkpoints, with the routers' windows, so that a run resumed at a step that is not a multiple
/// of `log_interval_steps` logs at its next log step exactly what an unbroken run logs there.
struct LogWindow {
  double loss = 0, aux = 0, correct = 0, examples = 0;
  std::map<std::string, double> extra;  ///< e.g. "train/kd_soft" -> sum of value x examples.
  void clear() { *this = LogWindow(); }
  void save(torch::serialize::OutputArchive& archive) const;
  /// Checkpoints written before the window was kept have none: the window is then empty.
  void load(torch::serialize::InputArchive& archive);
};

struct Trainer::State {
  /// Held while the trainer lives, so runs starting beside it take their share of the cores.
  TrainingSlot slot;
  ExperimentSpec spec;
  DataSplits data;
  RuntimeChoice runtime;  ///< What spec.runtime resolved to on this machine.
  torch::nn::AnyModule model;
  std::shared_ptr<torch::nn::Module> module;
  std::unique_ptr<torch::optim::Optimizer> optimizer;
  int64_t step = 0;
  int64_t steps_per_epoch = 0;
  int64_t total_steps = 0;
  std::vector<MoeLayer> moe_layers;
  std::vector<RouterWindow> router_windows;
  LogWindow window;
  /// Compression methods, in the order their hooks run (method/compression_method.h).
  std::vector<std::unique_ptr<CompressionMethod>> methods;
  /// The layers whose outputs the methods' loss() needs (their feature_layers(), in order).
  std::vector<std::string> feature_layers;
  /// Per method: its [first, last) entries of feature_layers (and of the features a step taps).
  std::vector<std::pair<size_t, size_t>> feature_ranges;

  struct Evaluation {
    double loss = 0;
    double accuracy = 0;
    std::vector<torch::Tensor> routing;  ///< Per MoE layer: [classes, experts] first choices.
    std::vector<std::pair<std::string, double>> extra;  ///< The methods' figures.
    torch::Tensor logits;  ///< [N, C], when a method wants_eval_logits().
  };
  Evaluation evaluate(const TensorDataset& split);
  /// Adds the methods' figures on `split` (CompressionMethod::evaluate) to `e.extra`.
  void evaluate_methods(Evaluation& e, const TensorDataset& split, const std::string& name,
                        bool final);
  void report_routing(TrainObserver& observer, const Evaluation& e, const std::string& split);

  /// Why the loss of step `step + 1` (1-based) is not finite, or exploded past `chance` x 1000:
  /// one line naming that one step and the source. A non-finite input batch is the data's fault
  /// and a non-finite loss before any update the model's or the teacher's; only a loss that grew
  /// during training gets the advice to lower optimizer.lr. `x` is the step's batch, `terms` the
  /// named parts of the loss besides the task's cross-entropy (trainer_divergence.cpp).
  std::string divergence_reason(const torch::Tensor& x, double task_loss, double total_loss,
                                const std::vector<std::pair<std::string, double>>& terms,
                                double chance) const;
};

}  // namespace slimlab
