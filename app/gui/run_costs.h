#pragma once

#include <nlohmann/json_fwd.hpp>

#include "run_table.h"

namespace slimlab {

/// Fills `run`'s cost figures (cost_basis, params, macs, dense_params, dense_macs, latency_ms)
/// from what its run stored, without loading weights:
///  - `summary`: the run's "summary" event (params, params_active, macs_per_sample,
///    macs_all_experts; model_cost() of its spec);
///  - `prune_report`: its "prune_report" event, the JSON `slimlab-cli show --layers` prints
///    (prune_report(): "before", "masked", "shrunk", "table"), or null when it has none.
/// A pruned run is counted as show --layers counts it: the shrunk network's parameters and
/// MACs when structured pruning rebuilt it (CostBasis::Physical), else the masked network's
/// non-zero parameters and non-zero MACs (CostBasis::NonZero); the dense figures are the
/// report's "before" network. An MoE run is counted with k of E experts active
/// (CostBasis::Active), a dense one in full. Either JSON may be null (a running run). Any thread.
void read_run_cost(RunSummary& run, const nlohmann::json& summary,
                   const nlohmann::json& prune_report);

}  // namespace slimlab
