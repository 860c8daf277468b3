#include "train/sensitivity_session.h"

#include <filesystem>

#include "data/dataset.h"
#include "models/model_factory.h"
#include "store/run_store.h"
#include "train/distill_session.h"
#include "train/stored_model.h"
#include "train/trainer.h"
#include "util/input_error.h"

namespace slimlab {

SensitivityOutcome run_sensitivity(const ExperimentSpec& spec, const std::string& store_path,
                                   RunObserver& observer, const RunControl& control, bool retrain,
                                   const std::function<void(size_t, size_t)>& progress) {
  if (!spec.has_prune) {
    throw InputError(
        "prune: a sensitivity analysis needs the spec's \"prune\" section (which "
        "layers, which criterion, which sparsities)");
  }
  // Everything that can fail on bad input fails here, before any training.
  const ExperimentSpec dense = baseline_spec(spec);
  Trainer trainer(dense, load_data(dense.data, dense.seed));
  check_sensitivity_options(trainer.module(), spec.model, spec.prune);

  SensitivityOutcome outcome;
  std::string reference = spec.prune.from_run;
  if (reference.empty() && !retrain && std::filesystem::exists(store_path)) {
    RunStore store(store_path, RunStore::Access::ReadOnly);
    if (auto found = find_baseline(store, spec)) reference = std::to_string(found->id);
  }
  if (reference.empty()) {
    auto trained = run_experiment(dense, store_path, observer, control);
    if (trained.result.status != RunStatus::Finished) {
      throw std::runtime_error("training the dense network (run " + std::to_string(trained.run_id) +
                               ") did not finish: " + status_name(trained.result.status) +
                               (trained.error.empty() ? "" : " (" + trained.error + ")"));
    }
    reference = std::to_string(trained.run_id);
    outcome.trained_now = true;
  }
  auto stored = load_finished_run(store_path, reference, "prune.from_run");
  if (model_to_json(stored.spec.model) != model_to_json(spec.model)) {
    throw InputError("prune.from_run: run " + std::to_string(stored.run.id) +
                     " trained another model than this spec's");
  }
  load_model_weights(trainer.module(), stored.checkpoint);
  outcome.run_id = stored.run.id;
  outcome.run_name = stored.run.name;

  const auto& data = trainer.data();
  const bool validation = data.validation.size() > 0;
  outcome.split = validation ? "validation" : "test";
  const auto& split = validation ? data.validation : data.test;
  outcome.rows = sensitivity_analysis(
      trainer.module(), spec.model, spec.prune, spec.seed, [&] { return trainer.evaluate(split); },
      progress);

  std::vector<SensitivityStoreRow> rows;
  for (const auto& r : outcome.rows) {
    rows.push_back({criterion_name(spec.prune.criterion), r.layer, r.sparsity, outcome.split,
                    r.accuracy, r.loss});
  }
  RunStore(store_path, RunStore::Access::ReadWrite).add_sensitivity(outcome.run_id, rows);
  return outcome;
}

}  // namespace slimlab
