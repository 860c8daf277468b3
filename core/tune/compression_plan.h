#pragma once
// A compression plan: for each layer of a trained network, how hard each method compresses it.
// Tune evaluates plans on a copy of a run's weights (tune/plan_evaluator.h), allocates them under a
// budget (tune/budget_allocation.h) and stores them with the runs derived from them.
//
// JSON (schema 1), layers by module name (models/layer_surgery.h):
//   {"schema": 1, "layers": {"layers.0": {"sparsity": 0.5, "bits": 4}, "layers.2": {"rank": 24}}}
#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <string>

namespace slimlab {

/// One layer's setting; an absent field leaves that method off for the layer.
struct LayerSetting {
  /// Magnitude pruning: share of the layer's weights set to zero, [0, 1) (prune/masks.h counts).
  std::optional<double> sparsity;
  /// Low rank: the layer's weight [m, n] replaced by its best rank-k approximation, 1..min(m, n)
  /// (a conv kernel as [out, in * kh * kw]; lowrank/factorize.h).
  std::optional<int64_t> rank;
  /// Quantisation: the weight's bits, 2..8, symmetric narrow range, per output channel, min-max
  /// range (quant/fake_quant.h; the quant section's defaults).
  std::optional<int64_t> bits;

  bool empty() const { return !sparsity && !rank && !bits; }
  bool operator==(const LayerSetting& o) const {
    return sparsity == o.sparsity && rank == o.rank && bits == o.bits;
  }
  bool operator!=(const LayerSetting& o) const { return !(*this == o); }
};

/// Per-layer settings; layers not listed stay as trained.
struct CompressionPlan {
  std::map<std::string, LayerSetting> layers;
  bool operator==(const CompressionPlan& o) const { return layers == o.layers; }
};

/// Reads a plan object. Throws InputError naming the field under `path` ("plan.layers.fc.rank:
/// must be between 1 and 65536, got 0"): unknown keys, wrong types, values out of range, and a
/// layer given both a sparsity and a rank (pruning a factorised layer is not evaluated) or both a
/// rank and bits (its two factors would be quantised separately; not evaluated yet). Whether the
/// layers exist and a rank fits the layer is checked against the model (PlanEvaluator::check).
CompressionPlan plan_from_json(const nlohmann::json& object, const std::string& path = "plan");

/// Reads plan JSON text (at most 64 levels deep); InputError messages start with `source`.
CompressionPlan parse_plan_text(const std::string& text, const std::string& source);

/// Reads a plan file; InputError messages start with the file's path, also for a file that is
/// missing or not JSON.
CompressionPlan read_plan_file(const std::string& file);

/// The plan as JSON (schema 1), readable by plan_from_json.
nlohmann::json plan_to_json(const CompressionPlan& plan);

/// One line per setting, "layers.0 sparsity 0.50, bits 4".
std::string describe_setting(const LayerSetting& setting);

}  // namespace slimlab
