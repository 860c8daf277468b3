#pragma once

#include <torch/nn/module.h>
#include <torch/optim/optimizer.h>
#include <torch/serialize/archive.h>

#include <string>
#include <utility>
#include <vector>

#include "prune/prunable.h"
#include "prune/prune_options.h"

namespace slimlab {

/// A tensor of the model and the keep-mask that holds it (1 kept, 0 pruned).
struct ParamMask {
  torch::Tensor param;
  torch::Tensor mask;
};

/// One selected layer and what pruning has done to it so far.
struct LayerState {
  PrunableLayer layer;
  double final_sparsity = 0;     ///< s_f of this layer.
  std::vector<ParamMask> masks;  ///< masks[0] is the layer's weight; then bias / experts.
  torch::Tensor unit_keep;       ///< [units] structured and expert-load: 1 kept, 0 removed.
  double sparsity = 0;           ///< Share of the weight's entries pruned (masks[0]).
  torch::Tensor router_load;     ///< expert-load: [E] assignments since the last prune step.
  /// The last prune step at which the floor held this layer back (it keeps at least its one
  /// highest-scoring weight, or unit), -1 if it never did; and what that step asked to prune
  /// of the layer's weights (units), more than the floor allows.
  int64_t floored_step = -1;
  int64_t floored_asked = 0;
};

/// A layer N:M left out because its input width is not a multiple of M.
struct SkippedLayer {
  std::string name;
  int64_t inputs = 0;  ///< size(1) of the weight.
};

/// Drives pruning during training (REFERENCES.md, "Pruning"): prunes at the schedule's steps,
/// keeps pruned weights at exactly zero (gradients masked before the optimiser step, weights
/// re-masked after it, so momentum and Adam's moments cannot revive them), rewinds for the
/// lottery ticket, and reports per-layer sparsity. Built before training, so a bad prune
/// section fails before a run exists.
///   Pruner pruner(spec.prune, module, spec.model, spec.seed, total_steps);
///   if (pruner.is_prune_step(step)) event = pruner.prune(step, &optimizer);
class Pruner {
 public:
  /// Throws InputError naming the prune field for layers that do not exist, schedules that
  /// do not fit in `total_steps`, or expert counts below top_k.
  Pruner(const PruneOptions& options, torch::nn::Module& module, const ModelSpec& model,
         int64_t seed, int64_t total_steps);

  /// Call at the start of every step (`step` = optimiser steps completed). Keeps the rewind
  /// weights when `step` is the rewind step.
  void at_step_start(int64_t step);
  bool is_prune_step(int64_t step) const;
  /// Prunes every layer to the schedule's sparsity at `step`; returns the event's JSON. A rewind
  /// clears `optimizer`'s state (may be null outside training).
  std::string prune(int64_t step, torch::optim::Optimizer* optimizer);

  /// After backward(): zero the gradients of pruned weights.
  void mask_gradients();
  /// After the optimiser step: pruned weights back to exactly zero.
  void apply_masks();
  /// After a training forward pass: count router assignments (expert-load only).
  void observe_routing();

  /// {"sparsity/<layer>", s} per layer, "sparsity/global" and "sparsity/target".
  std::vector<std::pair<std::string, double>> sparsity_metrics(int64_t step) const;
  /// The schedule's target over all selected weights at `step`.
  double target_sparsity(int64_t step) const;

  const PruneOptions& options() const { return options_; }
  const std::vector<LayerState>& layers() const { return layers_; }
  /// N:M with no layers named: the weight layers not pruned because their input width is not
  /// a multiple of M (named ones are refused instead). Empty for other criteria.
  const std::vector<SkippedLayer>& skipped_layers() const { return skipped_; }

  void save(torch::serialize::OutputArchive& archive) const;
  void load(torch::serialize::InputArchive& archive);

 private:
  void prune_weights(int64_t step);
  void prune_units(int64_t step);
  void prune_experts(int64_t step);
  void rewind(torch::optim::Optimizer* optimizer);

  PruneOptions options_;
  torch::nn::Module& module_;
  int64_t seed_ = 0;
  std::vector<LayerState> layers_;
  std::vector<int64_t> steps_;
  std::vector<torch::Tensor> rewind_weights_;  ///< All parameters at rewind_step.
  std::vector<SkippedLayer> skipped_;
};

/// Writes the expert masks of `module`'s MoE layers (those pruned by expert load) into a
/// checkpoint's "expert_masks" entry; nothing when no layer has one.
void save_expert_masks(torch::nn::Module& module, torch::serialize::OutputArchive& checkpoint);
/// Puts a checkpoint's expert masks back on the MoE layers of `module` (pruned experts are then
/// never routed to). No-op for checkpoints without them.
void load_expert_masks(torch::nn::Module& module, torch::serialize::InputArchive& checkpoint);

}  // namespace slimlab
