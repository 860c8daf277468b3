#include "run_costs.h"

#include <nlohmann/json.hpp>

namespace slimlab {
namespace {

qint64 count(const nlohmann::json& j, const char* key, qint64 fallback) {
  return j.is_object() && j.contains(key) && j[key].is_number() ? j[key].get<qint64>() : fallback;
}

}  // namespace

void read_run_cost(RunSummary& run, const nlohmann::json& summary,
                   const nlohmann::json& prune_report) {
  run.cost_basis = CostBasis::Dense;
  run.dense_params = run.params = count(summary, "params", 0);
  run.dense_macs = count(summary, "macs_all_experts", count(summary, "macs_per_sample", 0));
  run.macs = count(summary, "macs_per_sample", run.dense_macs);
  // Every parameter is stored, active or not (an MoE keeps all its experts in memory).
  run.dense_bytes = run.bytes = 4 * run.dense_params;
  if (count(summary, "params_active", run.params) < run.params) {
    // Each sample passes through k of E experts: what it costs is what it touches.
    run.cost_basis = CostBasis::Active;
    run.params = count(summary, "params_active", run.params);
  }
  if (summary.is_object() && summary.contains("prune") && summary["prune"].is_object()) {
    const auto& p = summary["prune"];
    if (p.contains("latency_masked_ms")) {
      run.latency_ms = p.value("latency_shrunk_ms", p.value("latency_masked_ms", -1.0));
    }
  }
  if (!prune_report.is_object() || !prune_report.contains("before")) {
    if (summary.is_object() && summary.contains("prune") && summary["prune"].is_object()) {
      // A pruning run without its report event: the figures its summary kept (MACs there are
      // the shrunk network's, or the dense ones for masks: no non-zero MAC count was kept).
      const auto& p = summary["prune"];
      run.dense_params = count(p, "params_dense", run.dense_params);
      run.dense_macs = count(p, "macs_dense", run.dense_macs);
      run.dense_bytes = count(p, "bytes_dense", run.dense_bytes);
      run.macs = count(p, "macs_physical", run.macs);
      if (p.contains("latency_shrunk_ms")) {
        run.cost_basis = CostBasis::Physical;
        run.params = count(p, "params_physical", run.params);
        run.bytes = 4 * run.params;
      } else {
        run.cost_basis = CostBasis::NonZero;
        run.params = count(p, "nonzeros", run.params);
        run.bytes = count(p, "bytes_csr", run.bytes);
      }
    }
    return;
  }
  // The figures `show --layers` prints in its "reality" lines, from the same stored report.
  const auto& before = prune_report["before"];
  run.dense_params = count(before, "params", run.dense_params);
  run.dense_macs = count(before, "macs", run.dense_macs);
  run.dense_bytes = count(before, "bytes_dense", run.dense_bytes);
  if (prune_report.contains("shrunk")) {
    const auto& shrunk = prune_report["shrunk"];
    run.cost_basis = CostBasis::Physical;
    run.params = count(shrunk, "params", run.dense_params);
    run.macs = count(shrunk, "macs", run.dense_macs);
    run.bytes = count(shrunk, "bytes_dense", run.dense_bytes);
  } else if (prune_report.contains("masked")) {
    const auto& masked = prune_report["masked"];
    run.cost_basis = CostBasis::NonZero;
    run.params = count(masked, "nonzeros", run.dense_params);
    run.macs = count(masked, "nonzero_macs", run.dense_macs);
    run.bytes = count(masked, "bytes_csr", run.dense_bytes);
  }
}

}  // namespace slimlab
