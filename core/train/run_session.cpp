#include "train/run_session.h"

#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdlib>
#include <filesystem>

#include <c10/util/Exception.h>

#include "data/dataset.h"
#include "distill/distill_method.h"
#include "measure/system_info.h"
#include "models/model_factory.h"
#include "moe/upcycle.h"
#include "prune/prune_method.h"
#include "store/run_store.h"
#include "store/store_writer.h"
#include "train/distill_session.h"
#include "train/prune_session.h"
#include "train/record_keys.h"
#include "train/spec_methods.h"
#include "train/stored_model.h"
#include "util/input_error.h"
#include "util/paths.h"

namespace slimlab {
namespace {

/// One line without LibTorch's C++ backtrace.
std::string error_text(const std::exception& e) {
  if (const auto* c10 = dynamic_cast<const c10::Error*>(&e)) return c10->what_without_backtrace();
  return e.what();
}

/// Forwards trainer records to the store writer and to the caller's observer. Stops the run
/// (by throwing on the training thread) as soon as the store cannot record it.
class RunRecorder : public TrainObserver {
 public:
  RunRecorder(StoreWriter& writer, RunObserver& next) : writer_(writer), next_(next) {}

  void on_step(const StepRecord& r) override {
    if (auto error = writer_.error(); !error.empty()) {
      throw std::runtime_error("the run store stopped recording: " + error);
    }
    for_each_metric(r, sink_);
    next_.on_step(r);
  }
  void on_router(const RouterRecord& r) override {
    for_each_metric(r, sink_);
    ExpertLoadRow row{r.layer,
                      r.step,
                      {r.load_share.begin(), r.load_share.end()},
                      {r.importance.begin(), r.importance.end()}};
    writer_.custom([row](RunStore& store, int64_t run) { store.add_expert_load(run, row); });
    next_.on_router(r);
  }
  void on_routing_matrix(const RoutingMatrixRecord& r) override {
    RoutingMatrixRow row{r.layer, r.step, r.split, r.classes, r.experts, r.counts};
    writer_.custom([row](RunStore& store, int64_t run) { store.add_routing_matrix(run, row); });
    next_.on_routing_matrix(r);
  }
  void on_eval(const EvalRecord& r) override {
    for_each_metric(r, sink_);
    next_.on_eval(r);
  }
  void on_event(const EventRecord& r) override {
    writer_.event(r.step, r.kind, r.payload_json);
    next_.on_event(r);
  }
  void on_checkpoint(const CheckpointRecord& r) override {
    writer_.checkpoint(r.step, r.bytes);
    writer_.event(r.step, "checkpoint", nlohmann::json{{"bytes", r.bytes.size()}}.dump());
    next_.on_checkpoint(r);
  }

 private:
  StoreWriter& writer_;
  RunObserver& next_;
  MetricSink sink_ = [this](const std::string& key, int64_t step, double value) {
    writer_.metric(key, step, value);
  };
};

/// Teachers, compression and (when the student-alone baseline exists) the gap closed.
nlohmann::json distill_summary(Distiller& distiller, const ExperimentSpec& spec,
                               const std::string& store_path, RunOutcome& outcome) {
  nlohmann::json j;
  nlohmann::json teachers = nlohmann::json::array();
  int64_t teacher_params = 0;
  for (const auto& t : distiller.teachers()) {
    teachers.push_back({{"teacher", t->description()}, {"params", t->params()}});
    teacher_params = std::max(teacher_params, t->params());
  }
  j["teachers"] = teachers;
  j["student_params"] = outcome.result.params;
  j["compression"] =
      outcome.result.params > 0 ? double(teacher_params) / double(outcome.result.params) : 0.0;
  for (const auto& [key, value] : outcome.result.test_extra) j["test_" + key] = value;
  if (outcome.result.status != RunStatus::Finished) return j;
  RunStore store(store_path, RunStore::Access::ReadOnly);
  if (auto baseline = find_baseline(store, spec)) {
    auto alone = store.last_value(baseline->id, "test/accuracy");
    if (alone && j.contains("test_teacher_accuracy")) {
      double closed = gap_closed(outcome.result.test_accuracy, *alone,
                                 j["test_teacher_accuracy"].get<double>());
      j["baseline_run"] = baseline->id;
      j["student_alone_accuracy"] = *alone;
      if (std::isfinite(closed)) {
        j["gap_closed"] = closed;
        outcome.gap_closed = closed;
      }
    }
  }
  return j;
}

/// Each method's summary of a finished run under its key (CompressionMethod::summarise); the
/// network-wide figures a method changed (a factorised network's parameters and MACs) replace
/// the spec's.
void summarise_methods(Trainer& trainer, const TrainResult& r, nlohmann::json& summary,
                       RunOutcome& outcome) {
  for (const auto& method : trainer.methods()) {
    const std::string key = method->key();
    nlohmann::json j;
    try {
      auto text = method->summarise({r.steps, r.test_accuracy, r.test_loss});
      if (text.empty()) continue;
      j = nlohmann::json::parse(text);
    } catch (const std::exception& e) {
      j = {{"summary_error", error_text(e)}};  // The run itself is fine.
    }
    if (j.contains("params_active") && j["params_active"].is_number_integer()) {
      outcome.cost.active_params = j["params_active"].get<int64_t>();
      summary["params_active"] = outcome.cost.active_params;
    }
    if (j.contains("macs_per_sample") && j["macs_per_sample"].is_number_integer()) {
      outcome.cost.macs = j["macs_per_sample"].get<int64_t>();
      summary["macs_per_sample"] = outcome.cost.macs;
    }
    summary[key] = j;
    outcome.method_summaries[key] = j;
  }
}

RunOutcome train_recorded(Trainer& trainer, const ExperimentSpec& spec,
                          const std::string& store_path, int64_t run_id, RunObserver& observer,
                          const RunControl& control) {
  RunOutcome outcome;
  outcome.run_id = run_id;
  StoreWriter writer(store_path, run_id);
  RunRecorder recorder(writer, observer);
  observer.on_start({run_id, trainer.step(), trainer.total_steps(), trainer.parameter_count(),
                     trainer.data().train.size(), runtime_summary(trainer.runtime())});
  try {
    outcome.result = trainer.run(recorder, control);
  } catch (const std::exception& e) {
    // No exception leaves a run: it is recorded as failed with the reason.
    outcome.result = TrainResult{};
    outcome.result.runtime = trainer.runtime();
    outcome.result.status = RunStatus::Failed;
    outcome.result.steps = trainer.step();
    outcome.result.params = trainer.parameter_count();
    outcome.result.error = error_text(e);
  }
  const auto& r = outcome.result;
  outcome.cost = model_cost(spec.model, trainer.data().sample_shape, trainer.data().classes);
  nlohmann::json summary = {{"params", r.params},
                            {"params_active", outcome.cost.active_params},
                            {"macs_per_sample", outcome.cost.macs},
                            {"macs_all_experts", outcome.cost.macs_all_experts},
                            {"steps", r.steps},
                            {"train_seconds", r.train_seconds},
                            {"steps_per_second", r.steps_per_second},
                            {"status", status_name(r.status)}};
  if (r.status == RunStatus::Finished) {
    summary["test_accuracy"] = r.test_accuracy;
    summary["test_loss"] = r.test_loss;
  }
  if (auto* distill = trainer.find_method<DistillMethod>(); distill != nullptr) {
    summary["distill"] = distill_summary(distill->distiller(), spec, store_path, outcome);
    outcome.distill_summary = summary["distill"];
    if (summary["distill"].contains("gap_closed")) {
      writer.metric("test/gap_closed", r.steps, summary["distill"]["gap_closed"].get<double>());
    }
  }
  if (trainer.find_method<PruneMethod>() != nullptr && r.status == RunStatus::Finished) {
    try {
      auto pruned = summarize_pruning(trainer, spec, store_path, r.test_accuracy);
      writer.event(r.steps, "prune_report", pruned.report.dump());
      summary["prune"] = pruned.summary;
    } catch (const std::exception& e) {
      // The run itself is fine; only its measurement failed.
      summary["prune"] = {{"report_error", error_text(e)}};
    }
    outcome.prune_summary = summary["prune"];
  }
  if (r.status == RunStatus::Finished) summarise_methods(trainer, r, summary, outcome);
  writer.event(r.steps, "summary", summary.dump());
  writer.status(r.status, r.error);
  outcome.error = r.error;
  if (!writer.flush()) {
    outcome.error = "the run store could not record this run: " + writer.error();
    if (outcome.result.status == RunStatus::Finished) outcome.result.status = RunStatus::Failed;
  }
  return outcome;
}

/// Initialises an MoE model from the finished dense run `spec.model.upcycle_from` names;
/// returns that run's id.
int64_t upcycle(Trainer& trainer, const ExperimentSpec& spec, const std::string& store_path) {
  const std::string field = "model.upcycle_from";
  if (spec.model.kind != ModelKind::MoeMlp) {
    throw InputError(field + ": only moe-mlp models can be upcycled");
  }
  auto stored = load_finished_run(store_path, spec.model.upcycle_from, field);
  const auto& source_spec = stored.spec;
  const auto* source = &stored.run;
  if (source_spec.model.kind != ModelKind::MoeMlp ||
      source_spec.model.moe_mlp.moe().experts() != 1) {
    throw InputError(field + ": run " + std::to_string(source->id) + " (" + source->name +
                     ") is not a single-expert moe-mlp (experts: 1), the dense form to upcycle");
  }
  const auto& data = trainer.data();
  auto dense = make_model_to_load(source_spec.model, data.sample_shape, data.classes);
  try {
    load_model_weights(*dense.ptr(), stored.checkpoint);
  } catch (const InputError& e) {  // Its weights are damaged (NaN/Inf): not the data's fault.
    throw InputError(field + ": run " + std::to_string(source->id) + ": " + e.what());
  } catch (const std::exception& e) {
    throw InputError(field + ": run " + std::to_string(source->id) +
                     " does not fit this data: " + e.what());
  }
  try {
    std::lock_guard<std::mutex> drawing(generator_mutex());  // The noise that breaks symmetry.
    upcycle_from_dense(trainer.module(), *dense.ptr(), spec.model.upcycle_noise);
  } catch (const std::invalid_argument& e) {
    throw InputError(field + ": " + e.what());
  }
  return source->id;
}

/// A resume uses the thread counts and gemm the run started with (its env_json records them),
/// so its sums run in the same order and it ends exactly where an unbroken run would.
/// SLIMLAB_THREADS, when set, wins for the threads: the machine may have changed; the figures
/// then differ in the last digits.
void continue_runtime(ExperimentSpec& spec, const std::string& env_json) {
  auto env = nlohmann::json::parse(env_json, nullptr, false);
  if (!env.is_object()) return;
  if (spec.runtime.gemm == GemmKind::Auto) {
    auto gemm = env.find("gemm");
    if (gemm != env.end() && *gemm == "blas") spec.runtime.gemm = GemmKind::Blas;
    if (gemm != env.end() && *gemm == "onednn") spec.runtime.gemm = GemmKind::OneDnn;
  }
  if (std::getenv("SLIMLAB_THREADS") != nullptr) return;
  auto recorded = [&](const char* key) {
    auto it = env.find(key);
    return it != env.end() && it->is_number_integer() ? it->get<int64_t>() : int64_t(0);
  };
  if (spec.runtime.threads == 0 && recorded("threads") > 0) {
    spec.runtime.threads = recorded("threads");
  }
  if (spec.runtime.blas_threads == 0 && recorded("blas_threads") > 0) {
    spec.runtime.blas_threads = recorded("blas_threads");
  }
}

/// environment_json() with the run's runtime choice under "runtime". A resume that trains with
/// the settings the run was measured for keeps that record (how they were chosen, the table).
std::string environment_with_runtime(const RuntimeChoice& choice,
                                     const std::string& previous_env_json = "") {
  auto env = nlohmann::json::parse(environment_json());
  env["runtime"] = runtime_to_json(choice);
  auto previous = nlohmann::json::parse(previous_env_json, nullptr, false);
  if (previous.is_object() && previous.contains("runtime") && previous["runtime"].is_object()) {
    const auto& before = previous["runtime"];
    if (before.value("threads", -1) == choice.threads &&
        before.value("blas_threads", -1) == choice.blas_threads &&
        before.value("gemm", "") == gemm_name(choice.gemm)) {
      env["runtime"] = before;
    }
  }
  return env.dump();
}

}  // namespace

RunOutcome run_experiment(const ExperimentSpec& requested, const std::string& store_path,
                          RunObserver& observer, const RunControl& control) {
  // Run references become uuids in the stored spec, so a resume uses the same teachers and
  // upcycling source even if newer runs take their names meanwhile.
  ExperimentSpec spec = requested;
  // Everything that can fail on bad input happens before the run exists in the store.
  observer.on_phase("reading the data");
  Trainer trainer(spec, load_data(spec.data, spec.seed));
  int64_t parent = 0;
  if (!spec.model.upcycle_from.empty()) {
    parent = upcycle(trainer, spec, store_path);
    spec.model.upcycle_from = RunStore(store_path, RunStore::Access::ReadOnly).get_run(parent).uuid;
  }
  if (spec.has_prune && !spec.prune.from_run.empty()) {
    parent = start_from_run(trainer, spec, store_path);
  }
  if (int64_t from = add_spec_methods(trainer, spec, store_path,
                                      [&](const std::string& phase) { observer.on_phase(phase); });
      from > 0) {
    parent = from;
  }
  int64_t run_id;
  std::string uuid;
  {
    RunStore store(store_path, RunStore::Access::ReadWrite);
    store.mark_interrupted_runs();
    NewRun row;
    row.name = spec.name;
    row.kind = run_kind(trainer);
    row.parent_id = parent;
    row.spec_json = spec_to_json(spec).dump();
    row.env_json = environment_with_runtime(trainer.runtime());
    row.seed = spec.seed;
    run_id = store.create_run(row);
    uuid = store.get_run(run_id).uuid;
    if (parent > 0) {
      store.add_event(
          run_id,
          {0, now_ms(), "upcycled",
           nlohmann::json{{"from_run", parent}, {"noise", spec.model.upcycle_noise}}.dump()});
    }
  }
  auto outcome = train_recorded(trainer, spec, store_path, run_id, observer, control);
  outcome.run_uuid = uuid;
  outcome.name = spec.name;
  return outcome;
}

RunOutcome resume_experiment(const std::string& store_path, const std::string& run_reference,
                             RunObserver& observer, const RunControl& control) {
  RunStore store(store_path, RunStore::Access::ReadWrite);
  store.mark_interrupted_runs();
  RunRow run = store.find_run(run_reference);
  const std::string which = "run " + std::to_string(run.id);
  if (run.status == "finished") throw InputError(which + " already finished; nothing to resume");
  if (run.status == "diverged") {
    throw InputError(which + " diverged (" + run.error +
                     "); resuming would diverge again: start a new run with a changed spec");
  }
  if (run.status == "running") throw InputError(which + " is still running in another process");
  auto spec = spec_from_json(parse_json_text(run.spec_json, which));
  continue_runtime(spec, run.env_json);
  observer.on_phase("reading the data");
  Trainer trainer(spec, load_data(spec.data, spec.seed));
  add_spec_methods(trainer, spec, store_path,
                   [&](const std::string& phase) { observer.on_phase(phase); });
  auto checkpoint = store.latest_checkpoint(run.id);
  if (checkpoint) {
    trainer.restore(checkpoint->bytes);
  } else if (!spec.model.upcycle_from.empty()) {
    upcycle(trainer, spec, store_path);  // Stopped before its first checkpoint: start over.
  } else if (spec.has_prune && !spec.prune.from_run.empty()) {
    start_from_run(trainer, spec, store_path);
  }
  // Records after the checkpoint came from the lost part of the run; they are logged again.
  store.forget_after(run.id, trainer.step());
  if (!store.claim_for_resume(run.id, environment_with_runtime(trainer.runtime(), run.env_json))) {
    throw InputError(which + " was taken by another process meanwhile");
  }
  store.add_event(run.id, {trainer.step(), now_ms(), "resumed",
                           nlohmann::json{{"from_status", run.status}}.dump()});
  auto outcome = train_recorded(trainer, spec, store_path, run.id, observer, control);
  outcome.run_uuid = run.uuid;
  outcome.name = run.name;
  return outcome;
}

}  // namespace slimlab
