#pragma once
// Per-layer settings under a cost budget, chosen from sensitivity curves (REFERENCES.md,
// "Per-layer ratio allocation under a budget"): AIMET's greedy compression-ratio selection, and
// the uniform setting of the same budget to compare it with.
#include <cstdint>
#include <string>
#include <vector>

#include "tune/sensitivity_curves.h"

namespace slimlab {

/// A cost target as a share of the trained network's cost, e.g. params=0.25.
struct Budget {
  CostAxis axis = CostAxis::Params;
  double fraction = 0.25;  ///< In (0, 1].
};

/// Reads "params=0.25", "bytes=0.3", "macs=0.5". Throws InputError naming `field` for another
/// axis (with the nearest), a missing '=', or a share outside (0, 1].
Budget parse_budget(const std::string& text, const std::string& field);
/// "params=0.25".
std::string describe_budget(const Budget& budget);
/// Throws InputError naming `field` when none of `methods` reduces the budget's axis (pruning's
/// zeros are stored, so it saves no bytes; quantisation saves neither parameters nor MACs), before
/// any curve is computed. allocate_budget() calls it too.
void check_budget_methods(const Budget& budget, const std::vector<TuneMethod>& methods,
                          const std::string& field);
/// floor(fraction x the evaluator's dense cost on the axis): the most a plan may cost.
int64_t budget_limit(const PlanEvaluator& evaluator, const Budget& budget);

struct Allocation {
  CompressionPlan plan;
  /// AIMET's target accuracy: each layer takes its cheapest setting that alone kept at least
  /// this accuracy on the sample (0..1); binary-searched for the highest that meets the budget.
  double threshold = 0;
  PlanCost cost;  ///< The plan's cost; on the budget's axis at most budget_limit().
};

/// Allocates per-layer settings from `curves` for `methods`, then spends the budget the threshold's
/// steps left over on the layers whose next less compressed setting gains the most accuracy per
/// unit of cost (the single-layer accuracies as the guide; prune and quant may share a layer:
/// a combination is credited with the lower of its two single-setting accuracies; low rank
/// stands alone). Throws InputError naming `field` when even the most compressed setting of
/// every layer costs more than the budget, with the least that can be reached.
Allocation allocate_budget(const PlanEvaluator& evaluator, const SensitivityCurves& curves,
                           const std::vector<TuneMethod>& methods, const Budget& budget,
                           const std::string& field);

/// One method applied at the same setting to all its layers.
struct UniformPlan {
  TuneMethod method = TuneMethod::Prune;
  std::string setting;  ///< "sparsity 0.713", "rank ratio 0.248", "4 bits".
  CompressionPlan plan;
  PlanCost cost;
};

/// For each of `methods` that can meet `budget` alone, the least compressing uniform setting
/// that meets it (sparsity and rank ratio searched to 1e-4, bits 8 down to 2). Methods that
/// cannot (pruning on a bytes budget: its zeros are stored) are left out.
std::vector<UniformPlan> uniform_plans(const PlanEvaluator& evaluator,
                                       const std::vector<TuneMethod>& methods,
                                       const Budget& budget);

}  // namespace slimlab
