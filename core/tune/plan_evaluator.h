#pragma once
// Applies a compression plan to a copy of a finished run's trained weights and evaluates the
// result on a fixed sample of held-out examples, fast enough to follow a slider: only the layers
// whose setting changed since the last evaluation are recomputed (Tune's inner loop).
#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tune/compression_plan.h"

namespace slimlab {

/// A layer a plan can compress (a Linear or Conv2d that models/layer_surgery.h can replace).
struct TunableLayer {
  std::string name;       ///< Module name, e.g. "layers.0", "features.3", "fc".
  int64_t out = 0;        ///< m: output units (channels for a conv).
  int64_t in = 0;         ///< n: inputs per output (in_channels * kh * kw for a conv).
  int64_t positions = 1;  ///< Output positions per sample (H x W for a conv, 1 for a Linear).
  int64_t bias = 0;       ///< Bias parameters, kept float32 and uncompressed.
  bool conv = false;
  int64_t max_rank() const { return out < in ? out : in; }
};

/// What a network costs, counted as REFERENCES.md "Cost and energy" does.
struct PlanCost {
  /// Parameters kept: a pruned weight's zeros are not counted, a factorised layer counts its two
  /// factors k (m + n).
  int64_t params = 0;
  /// Bytes of the weights stored dense at their bits (packed, with a float32 scale and an int32
  /// zero point per output channel, as the quant summary counts), everything else float32.
  /// Unstructured pruning saves no bytes here: its zeros are stored (a sparse format would need
  /// indices).
  int64_t bytes = 0;
  /// Multiply-accumulates per sample, zero weights skipped (effective MACs; a dense kernel does
  /// not skip them).
  int64_t macs = 0;
};

/// The cost axes a budget can be stated on.
enum class CostAxis { Params, Bytes, Macs };
/// "params", "bytes", "macs".
const char* cost_axis_name(CostAxis axis);
/// The figure of `cost` on `axis`.
int64_t cost_on(const PlanCost& cost, CostAxis axis);

/// One layer's cost under `setting` (its weight and bias only).
PlanCost layer_cost(const TunableLayer& layer, const LayerSetting& setting);

/// The network evaluated under one plan.
struct PlanMetrics {
  double loss = 0;      ///< Mean cross-entropy over the sample, in nats.
  double accuracy = 0;  ///< Share of the sample classified right, 0..1.
  PlanCost cost;
  double eval_ms = 0;  ///< Wall time of this evaluation in ms: applying the plan + forward passes.
};

class PlanEvaluator {
 public:
  /// Loads the finished run `reference` (name, id or uuid prefix) from the store at
  /// `store_path`, its weights and its data split as it trained (same seed), and keeps the first
  /// `samples` examples of its validation split (of the test split when the run held none back;
  /// split() says which; choosing ratios should not see the test split). Throws InputError
  /// starting with "tune:" when the run is missing or unfinished, was already compressed
  /// (pruned, factorised, quantised: Tune starts from a dense run), or its model kind has no
  /// layer a plan can change; and for `samples` < 1. Reads the store; call on a worker thread.
  PlanEvaluator(const std::string& store_path, const std::string& reference,
                int64_t samples = 2000);
  ~PlanEvaluator();
  PlanEvaluator(const PlanEvaluator&) = delete;
  PlanEvaluator& operator=(const PlanEvaluator&) = delete;

  int64_t run_id() const;
  const std::string& run_name() const;
  /// "validation" or "test".
  const std::string& split() const;
  /// Examples evaluated per plan.
  int64_t samples() const;
  /// The compressible layers, in module order.
  const std::vector<TunableLayer>& layers() const;
  /// The network as trained.
  PlanCost dense_cost() const;
  /// What `plan` costs, counted without evaluating it (the plan must pass check()).
  PlanCost cost(const CompressionPlan& plan) const;
  /// Throws InputError naming `path`.layers.<name> for a layer this network does not have (with
  /// the layers it has) or a rank above min(m, n).
  void check(const CompressionPlan& plan, const std::string& path = "plan") const;

  /// Applies `plan` (prune -> quantise, or factorise, per layer) to the trained weights and
  /// evaluates the sample; std::nullopt when `cancel` turned true (checked between layers and
  /// between batches of 1,000 examples). Throws InputError as check() does. Not thread-safe: one
  /// thread evaluates at a time (the model is the evaluator's own copy). Sets the calling thread's
  /// LibTorch intra-op threads to automatic_threads() (train/runtime.h: $SLIMLAB_THREADS, else
  /// the cores this machine leaves a trainer).
  std::optional<PlanMetrics> evaluate(const CompressionPlan& plan,
                                      const std::atomic<bool>* cancel = nullptr);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace slimlab
