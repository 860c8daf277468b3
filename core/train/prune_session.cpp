#include "train/prune_session.h"

#include <nlohmann/json.hpp>
#include <optional>

#include "prune/prune_method.h"
#include "prune/prune_report.h"
#include "prune/pruner.h"
#include "store/run_store.h"
#include "train/distill_session.h"
#include "train/stored_model.h"
#include "util/input_error.h"

namespace slimlab {

int64_t start_from_run(Trainer& trainer, ExperimentSpec& spec, const std::string& store_path) {
  auto from = load_run_weights(trainer.module(), spec.model, store_path, spec.prune.from_run,
                               "prune.from_run");
  spec.prune.from_run = from.uuid;
  return from.id;
}

PruneOutcome summarize_pruning(Trainer& trainer, const ExperimentSpec& spec,
                               const std::string& store_path, double test_accuracy) {
  PruneOutcome out;
  std::optional<ModelSpec> shrunk;
  out.report = prune_report(trainer.model(), spec.model, spec.prune,
                            trainer.find_method<PruneMethod>()->pruner(), trainer.data(), &shrunk);
  if (shrunk) out.report["shrunk_model"] = model_to_json(*shrunk);
  const auto& r = out.report;
  auto& s = out.summary;
  s["criterion"] = criterion_name(spec.prune.criterion);
  s["test_accuracy"] = test_accuracy;
  s["mask_sparsity"] = r["mask_sparsity"];
  s["params_dense"] = r["before"]["params"];
  s["nonzeros"] = r["masked"]["nonzeros"];
  s["params_physical"] = r.contains("shrunk") ? r["shrunk"]["params"] : r["masked"]["params"];
  s["macs_dense"] = r["before"]["macs"];
  s["macs_physical"] = r.contains("shrunk") ? r["shrunk"]["macs"] : r["masked"]["macs"];
  s["bytes_dense"] = r["before"]["bytes_dense"];
  s["bytes_csr"] = r["masked"]["bytes_csr"];
  s["latency_batch"] = r["latency"]["batch"];
  s["latency_dense_ms"] = r["latency"]["dense"]["median_ms"];
  s["latency_masked_ms"] = r["latency"]["masked"]["median_ms"];
  if (r.contains("shrunk")) {
    s["latency_shrunk_ms"] = r["latency"]["shrunk"]["median_ms"];
    s["shrunk_max_abs_diff"] = r["shrunk_max_abs_diff"];
  }
  s["speedup"] = r["speedup"];
  // Layers held at the one-weight (or one-unit) floor, and layers N:M could not prune.
  for (const char* key : {"floored_layers", "skipped_layers"}) {
    if (r.contains(key)) s[key] = r[key];
  }
  RunStore store(store_path, RunStore::Access::ReadOnly);
  // The dense run to compare with: the one it was pruned from (a tuned child's name is not its
  // parent's), else the newest finished run of the same spec without pruning.
  std::optional<RunRow> baseline;
  if (!spec.prune.from_run.empty()) {
    try {
      baseline = store.find_run(spec.prune.from_run);
    } catch (const std::exception&) {
      // Deleted since: fall back to the spec's dense run.
    }
  }
  if (!baseline) baseline = find_baseline(store, spec);
  if (baseline) {
    if (auto dense = store.last_value(baseline->id, "test/accuracy")) {
      s["baseline_run"] = baseline->id;
      s["dense_accuracy"] = *dense;
      s["accuracy_drop"] = *dense - test_accuracy;
    }
  }
  return out;
}

}  // namespace slimlab
