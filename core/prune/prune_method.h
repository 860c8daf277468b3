#pragma once

#include <memory>

#include "method/compression_method.h"
#include "prune/pruner.h"

namespace slimlab {

/// Pruning through the compression-method seam (method/compression_method.h): a Pruner driven
/// by the trainer's hooks. At the top of each step it keeps the rewind weights and prunes on
/// the schedule's steps (event "prune"); after the forward pass it counts router assignments
/// (expert-load); it masks gradients after backward and weights after the optimiser step; it
/// logs "sparsity/<layer>", "sparsity/global" and "sparsity/target"; its masks and rewind
/// weights go into checkpoints under "prune".
class PruneMethod : public CompressionMethod {
 public:
  /// Takes a Pruner built on the trainer's model (its constructor validates the prune section).
  explicit PruneMethod(std::unique_ptr<Pruner> pruner) : pruner_(std::move(pruner)) {}

  const char* key() const override { return "prune"; }
  void prepare(const MethodSetup& setup) override { optimizer_ = &setup.optimizer; }
  std::vector<MethodEvent> before_step(int64_t step) override;
  void after_forward(const StepBatch&, const StepOutputs&) override { pruner_->observe_routing(); }
  void after_backward() override { pruner_->mask_gradients(); }
  void after_optimizer_step() override { pruner_->apply_masks(); }
  std::vector<std::pair<std::string, double>> log_metrics(int64_t step) const override;
  void save(torch::serialize::OutputArchive& checkpoint) const override;
  void load(torch::serialize::InputArchive& checkpoint) override;
  /// Structured pruning shrinks the work of later steps.
  bool step_cost_is_fixed() const override { return false; }

  Pruner& pruner() { return *pruner_; }
  const Pruner& pruner() const { return *pruner_; }

 private:
  std::unique_ptr<Pruner> pruner_;
  torch::optim::Optimizer* optimizer_ = nullptr;
};

}  // namespace slimlab
