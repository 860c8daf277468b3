#pragma once
// Per-layer sensitivity curves for every method a plan can use: one layer alone compressed at
// each setting of a grid, the rest as trained, evaluated on the evaluator's sample (Distiller's
// sensitivity analysis, REFERENCES.md "Pruning", generalised from sparsity to rank and bits).
#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "tune/plan_evaluator.h"

namespace slimlab {

/// The methods a plan uses, by their spec keys.
enum class TuneMethod { Prune, LowRank, Quant };
/// "prune", "lowrank", "quant".
const char* tune_method_key(TuneMethod method);
/// Reads a comma-separated list such as "prune,quant" (each at most once). Throws InputError
/// naming `field`, with the nearest known key, for anything else or an empty list.
std::vector<TuneMethod> parse_tune_methods(const std::string& list, const std::string& field);

/// The layers `method` applies to by default: every tunable layer, except low rank, which keeps
/// the classifier (the last layer) at full rank as the lowrank section does.
std::vector<TunableLayer> method_layers(const PlanEvaluator& evaluator, TuneMethod method);

/// The settings a curve visits for `layer`, from least to most compressed:
/// prune sparsity 0.05, 0.1, ..., 0.95; low rank the ranks that keep 0.75, 0.5, 0.35, 0.25,
/// 0.15, 0.1, 0.05, 0.02 of the weight's parameters (lowrank/factorize.h rank_for_ratio, distinct,
/// below min(m, n)); quant 8, 6, 5, 4, 3, 2 bits.
std::vector<LayerSetting> curve_settings(const TunableLayer& layer, TuneMethod method);

/// One point: `layer` alone at `setting`, evaluated.
struct CurvePoint {
  std::string layer;
  TuneMethod method = TuneMethod::Prune;
  LayerSetting setting;
  double accuracy = 0;  ///< 0..1, on the evaluator's sample.
  double loss = 0;      ///< Mean cross-entropy, nats.
  PlanCost layer_cost;  ///< The layer's own cost at this setting.
};

struct SensitivityCurves {
  PlanMetrics dense;  ///< The network as trained, on the same sample.
  std::vector<CurvePoint> points;
  double seconds = 0;  ///< Wall time of the whole analysis.
};

/// Evaluates every layer of `method_layers` at every curve setting, for each of `methods`.
/// `progress(done, total)` is called after each point; std::nullopt when `cancel` turned true.
/// Leaves the evaluator's weights as trained afterwards. Runs on the caller's (worker) thread.
std::optional<SensitivityCurves> sensitivity_curves(
    PlanEvaluator& evaluator, const std::vector<TuneMethod>& methods,
    const std::function<void(size_t, size_t)>& progress = {},
    const std::atomic<bool>* cancel = nullptr);

}  // namespace slimlab
