// Adding a compression method needs no edit outside its own code: a method defined only in this
// test binary registers itself as the built-in ones do, and shows up in a spec (read, refused
// by field, written back), a run (its kind, its metrics, its summary) and a checkpoint (a
// resumed run continues its state).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <stdexcept>

#include "method/compression_method.h"
#include "method/method_registry.h"
#include "spec/experiment_spec.h"
#include "spec/spec_reader.h"
#include "store/run_store.h"
#include "test_files.h"
#include "train/run_session.h"

using namespace slimlab;
using namespace slimlab::testing;

namespace {

/// Counts optimiser steps; keeps the count in checkpoints and reports it.
class ProbeMethod : public CompressionMethod {
 public:
  explicit ProbeMethod(double scale) : scale_(scale) {}
  const char* key() const override { return "probe"; }
  void after_optimizer_step() override { ++steps_; }
  std::vector<std::pair<std::string, double>> log_metrics(int64_t) const override {
    return {{"probe/steps", double(steps_) * scale_}};
  }
  void save(torch::serialize::OutputArchive& checkpoint) const override {
    checkpoint.write("probe_steps", torch::tensor(steps_, torch::kInt64));
  }
  void load(torch::serialize::InputArchive& checkpoint) override {
    torch::Tensor steps;
    checkpoint.read("probe_steps", steps);
    steps_ = steps.item<int64_t>();
  }
  std::string summarise(const FinishedRun& run) override {
    return nlohmann::json{{"steps_seen", steps_}, {"run_steps", run.steps}}.dump();
  }

 private:
  double scale_;
  int64_t steps_ = 0;
};

MethodInfo probe_info() {
  MethodInfo info;
  info.key = "probe";
  info.label = "Step probe (test only)";
  info.order = 900;
  info.read = [](const nlohmann::json& section, const std::string& path) {
    SpecReader r(section, path);
    double scale = 1;
    r.number("scale", scale, 0, 10);
    r.finish();
    return nlohmann::json{{"scale", scale}};
  };
  info.make = [](nlohmann::json& section, MethodBuild&) -> std::unique_ptr<CompressionMethod> {
    return std::make_unique<ProbeMethod>(section["scale"].get<double>());
  };
  return info;
}

nlohmann::json probe_spec() {
  return {
      {"name", "probe"},
      {"seed", 2},
      {"data", {{"dataset", "circles"}, {"points", 600}, {"batch_size", 50}}},
      {"model", {{"kind", "mlp"}, {"hidden", {8}}}},
      {"schedule", {{"epochs", 3}, {"log_interval_steps", 4}, {"checkpoint_interval_steps", 6}}},
      {"probe", {{"scale", 2}}}};
}

/// The newest summary of `run` (a resumed run has one per session).
nlohmann::json summary_of(RunStore& store, int64_t run) {
  nlohmann::json last;
  for (const auto& e : store.events(run)) {
    if (e.kind == "summary") last = nlohmann::json::parse(e.payload_json);
  }
  return last;
}

}  // namespace

SLIMLAB_REGISTER_METHOD(probe, probe_info())

TEST(MethodRegistryTest, ListsBuiltInAndTestMethodsInOrderAndRefusesATakenKey) {
  auto methods = registered_methods();
  ASSERT_EQ(methods.size(), 4u);  // lowrank, quant, plan (Tune's record), probe.
  EXPECT_EQ(methods.front()->key, "lowrank");
  EXPECT_EQ(methods.back()->key, "probe");
  EXPECT_EQ(find_registered_method("plan")->label, "Tune plan");
  EXPECT_FALSE(find_registered_method("plan")->offered_in_spec_form);
  EXPECT_EQ(find_registered_method("probe")->label, "Step probe (test only)");
  EXPECT_EQ(find_registered_method("quant")->label, "Quantisation");
  EXPECT_EQ(find_registered_method("sparsify"), nullptr);
  EXPECT_THROW(register_method(probe_info()), std::logic_error);
  auto bad = probe_info();
  bad.key = "Probe2";
  EXPECT_THROW(register_method(bad), std::logic_error);
}

TEST(MethodRegistryTest, ATestMethodsSectionIsReadRefusedByFieldAndWrittenBack) {
  auto spec = spec_from_json(probe_spec());
  ASSERT_EQ(spec.method_sections.count("probe"), 1u);
  EXPECT_EQ(spec_to_json(spec)["probe"], (nlohmann::json{{"scale", 2.0}}));
  auto j = probe_spec();
  j["probe"] = {{"scael", 2}};
  try {
    spec_from_json(j);
    FAIL() << "probe.scael was accepted";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("probe.scael"), std::string::npos) << e.what();
  }
  j["probe"] = {{"scale", 11}};
  EXPECT_THROW(spec_from_json(j), InputError);
}

TEST(MethodRegistryTest, ATestMethodRunsIsStoredAndResumesFromACheckpoint) {
  TempDir dir;
  const auto path = dir.file("runs.sqlite");
  RunObserver quiet;
  RunControl go;
  auto whole = run_experiment(spec_from_json(probe_spec()), path, quiet, go);
  ASSERT_EQ(whole.result.status, RunStatus::Finished) << whole.error;
  // 540 training examples / 50 = 11 steps per epoch, 33 steps.
  {
    RunStore store(path, RunStore::Access::ReadOnly);
    EXPECT_EQ(store.get_run(whole.run_id).kind, "probe");
    EXPECT_EQ(*store.last_value(whole.run_id, "probe/steps"), 2.0 * 33);
    EXPECT_EQ(summary_of(store, whole.run_id)["probe"]["steps_seen"], 33);
    EXPECT_EQ(whole.method_summaries["probe"]["run_steps"], 33);
  }
  RunControl control;
  struct StopAfter : RunObserver {
    RunControl& c;
    explicit StopAfter(RunControl& c) : c(c) {}
    void on_step(const StepRecord& r) override { c.stop = r.step >= 14; }
  } stopper(control);
  auto stopped = run_experiment(spec_from_json(probe_spec()), path, stopper, control);
  ASSERT_EQ(stopped.result.status, RunStatus::Cancelled);
  RunControl again;
  auto resumed = resume_experiment(path, std::to_string(stopped.run_id), quiet, again);
  ASSERT_EQ(resumed.result.status, RunStatus::Finished) << resumed.error;
  RunStore store(path, RunStore::Access::ReadOnly);
  // The count came back from the checkpoint: the resumed run saw every step once.
  EXPECT_EQ(summary_of(store, stopped.run_id)["probe"]["steps_seen"], 33);
  EXPECT_EQ(resumed.result.test_loss, whole.result.test_loss);
}
