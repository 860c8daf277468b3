// Low-rank factorisation as a method, through the registry only: its spec section refuses bad
// input by field, it factorises the layers a spec names (at full rank changing no output), a
// run stores its kind, pinned ranks and summary, resumes exactly, and starts from a finished
// run's weights.
#include <gtest/gtest.h>

#include <torch/torch.h>
#include <nlohmann/json.hpp>

#include <filesystem>

#include "data/dataset.h"
#include "lowrank/low_rank_layers.h"
#include "lowrank/lowrank_method.h"
#include "lowrank/lowrank_section.h"
#include "models/layer_surgery.h"
#include "models/model_factory.h"
#include "spec/experiment_spec.h"
#include "store/run_store.h"
#include "test_files.h"
#include "train/run_session.h"
#include "util/input_error.h"

using namespace slimlab;
using namespace slimlab::testing;

namespace {

/// A small mlp on the 2-D spirals: [2] -> 32 -> 24 -> classes.
nlohmann::json spirals_spec() {
  return {
      {"name", "lowrank-spirals"},
      {"seed", 3},
      {"data", {{"dataset", "spirals"}, {"points", 900}, {"batch_size", 50}}},
      {"model", {{"kind", "mlp"}, {"hidden", {32, 24}}}},
      {"optimizer", {{"lr", 0.01}}},
      {"schedule", {{"epochs", 4}, {"log_interval_steps", 5}, {"checkpoint_interval_steps", 8}}}};
}

std::string refusal(const nlohmann::json& spec) {
  try {
    spec_from_json(spec);
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

/// What building the run says (empty: it trained).
std::string run_refusal(const nlohmann::json& spec, const std::string& store) {
  RunObserver quiet;
  RunControl control;
  control.stop = true;  // Stop before the first step: only the set-up is under test.
  try {
    run_experiment(spec_from_json(spec), store, quiet, control);
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

nlohmann::json summary_of(const std::string& store_path, int64_t run) {
  RunStore store(store_path, RunStore::Access::ReadOnly);
  for (const auto& e : store.events(run)) {
    if (e.kind == "summary") return nlohmann::json::parse(e.payload_json);
  }
  return {};
}

}  // namespace

TEST(LowRankSpecTest, TheSectionIsReadWithEveryDefaultAndWrittenBack) {
  auto j = spirals_spec();
  j["lowrank"] = nlohmann::json::object();
  auto spec = spec_from_json(j);
  ASSERT_EQ(spec.method_sections.count("lowrank"), 1u);
  auto section = nlohmann::json::parse(spec.method_sections.at("lowrank"));
  EXPECT_EQ(section["rank_ratio"], 0.25);  // Neither rank nor energy: a quarter of each layer.
  EXPECT_EQ(section["rank"], 0);
  EXPECT_EQ(section["latency_batch"], 256);
  auto again = spec_from_json(spec_to_json(spec));
  EXPECT_EQ(again.method_sections, spec.method_sections);
  j["lowrank"] = {{"rank", 4}};
  section = nlohmann::json::parse(spec_from_json(j).method_sections.at("lowrank"));
  EXPECT_EQ(section["rank"], 4);
  EXPECT_EQ(section["rank_ratio"], 0);
}

TEST(LowRankSpecTest, BadInputIsRefusedNamingTheField) {
  auto with = [](nlohmann::json lowrank) {
    auto j = spirals_spec();
    j["lowrank"] = std::move(lowrank);
    return refusal(j);
  };
  EXPECT_NE(with({{"energy", 1.5}}).find("lowrank.energy: must be between 0 and 1"),
            std::string::npos);
  EXPECT_NE(with({{"energy", -0.1}}).find("lowrank.energy"), std::string::npos);
  EXPECT_NE(with({{"rank", 4}, {"energy", 0.9}}).find("lowrank.energy: set one of rank"),
            std::string::npos);
  EXPECT_NE(with({{"rank", -1}}).find("lowrank.rank: must be between 0"), std::string::npos);
  EXPECT_NE(with({{"layer_rank", {{"layers.0", 2.5}}}}).find("lowrank.layer_rank.layers.0"),
            std::string::npos);
  EXPECT_NE(with({{"rnak", 4}}).find("\"rank\""), std::string::npos);  // Did you mean.
  auto j = spirals_spec();
  j["lowrnak"] = nlohmann::json::object();
  EXPECT_NE(refusal(j).find("lowrank"), std::string::npos) << refusal(j);
}

TEST(LowRankSpecTest, WhatOnlyTheModelTellsIsRefusedBeforeTheRunExists) {
  TempDir dir;
  const auto store = dir.file("runs.sqlite");
  auto with = [&](nlohmann::json lowrank) {
    auto j = spirals_spec();
    j["lowrank"] = std::move(lowrank);
    return run_refusal(j, store);
  };
  // layers.0 is [32, 2]: its rank is at most 2.
  EXPECT_NE(with({{"rank", 3}})
                .find("lowrank.rank: 3 is above the rank of layer layers.0 "
                      "(min(m, n) = 2 of its weight [32, 2])"),
            std::string::npos)
      << with({{"rank", 3}});
  EXPECT_NE(with({{"layers", {"layers.2"}}, {"layer_rank", {{"layers.2", 30}}}})
                .find("lowrank.layer_rank.layers.2: 30 is above the rank of layer layers.2 "
                      "(min(m, n) = 24 of its weight [24, 32])"),
            std::string::npos);
  EXPECT_NE(with({{"layers", {"layers.1"}}})
                .find("lowrank.layers[0]: layer \"layers.1\" (torch::nn::ReLUImpl) cannot be "
                      "factorised; layers that can: layers.0, layers.2, layers.4"),
            std::string::npos)
      << with({{"layers", {"layers.1"}}});
  EXPECT_NE(with({{"layers", {"layers.9"}}}).find("lowrank.layers[0]: no layer \"layers.9\""),
            std::string::npos);
  // Found by trying it: a layer named twice was factorised twice and crashed.
  EXPECT_NE(with({{"layers", {"layers.0", "layers.0"}}})
                .find("lowrank.layers[1]: layer \"layers.0\" is listed twice"),
            std::string::npos);
  EXPECT_NE(with({{"layers", {"layers.2"}}, {"layer_rank", {{"layers.0", 1}}}})
                .find("lowrank.layer_rank.layers.0: not a layer being factorised"),
            std::string::npos);
  EXPECT_NE(with({{"from_run", "nothing-of-that-name"}}).find("lowrank.from_run"),
            std::string::npos);
  auto vit = spirals_spec();
  vit["data"] = {{"dataset", "spirals"}, {"points", 900}};
  vit["model"] = {{"kind", "moe-mlp"}};
  vit["lowrank"] = nlohmann::json::object();
  EXPECT_NE(run_refusal(vit, store).find("lowrank: moe-mlp models have no layer"),
            std::string::npos)
      << run_refusal(vit, store);
  EXPECT_FALSE(std::filesystem::exists(store));  // Bad input stored nothing.
}

TEST(LowRankMethodTest, AtFullRankTheNetworkComputesTheSame) {
  for (const char* kind : {"mlp", "cnn"}) {
    SCOPED_TRACE(kind);
    ModelSpec spec;
    spec.kind = std::string(kind) == "mlp" ? ModelKind::Mlp : ModelKind::Cnn;
    spec.mlp.hidden({40, 20});
    spec.cnn.channels({4, 6}).kernel_size(3).fc_hidden(16);
    torch::manual_seed(5);
    auto model = make_model(spec, {1, 12, 12}, 5);
    model.ptr()->eval();
    auto x = torch::randn({7, 1, 12, 12});
    auto before = model.forward(x);
    LowRankOptions full;
    full.rank_ratio = 0;
    full.rank = 0;
    for (const auto& name : replaceable_layers(*model.ptr())) {
      full.layers.push_back(name);
      auto w = model.ptr()->named_parameters()[name + ".weight"];
      full.layer_rank[name] = std::min(w.size(0), w.numel() / w.size(0));
    }
    auto layers = factorise_layers(model, full, "lowrank", {1, 12, 12});
    EXPECT_EQ(layers.size(), full.layers.size());
    for (const auto& name : replaceable_layers(*model.ptr())) {
      EXPECT_EQ(name.find("first"), std::string::npos);  // Factorised layers are not listed.
    }
    auto after = model.forward(x);
    EXPECT_LT((before - after).abs().max().item<double>(), 1e-5);
    for (const auto& f : layers) EXPECT_LT(f.relative_error, 1e-6) << f.layer;
  }
}

TEST(LowRankMethodTest, CountsParametersAndMacsOfEachLayer) {
  ModelSpec spec;
  spec.kind = ModelKind::Cnn;
  spec.cnn.channels({4, 6}).kernel_size(3).fc_hidden(16);
  torch::manual_seed(5);
  auto model = make_model(spec, {1, 12, 12}, 5);
  LowRankOptions o;
  o.layers = {"features.3", "fc"};
  o.rank_ratio = 0;
  o.rank = 2;
  auto layers = factorise_layers(model, o, "lowrank", {1, 12, 12});
  ASSERT_EQ(layers.size(), 2u);
  // features.3: 4 -> 6 channels, 3x3, on a 6x6 map (12 pooled once): [6, 36] as a matrix.
  EXPECT_EQ(layers[0].kind, "conv");
  EXPECT_EQ(layers[0].full_rank, 6);
  EXPECT_EQ(layers[0].params_before, 6 * 36 + 6);
  EXPECT_EQ(layers[0].params_after, 2 * 36 + 6 * 2 + 6);
  EXPECT_EQ(layers[0].macs_before, 6 * 36 * 36);
  EXPECT_EQ(layers[0].macs_after, 2 * (6 + 36) * 36);
  // fc: 6 channels x 3 x 3 -> 16.
  EXPECT_EQ(layers[1].shape, (std::vector<int64_t>{16, 54}));
  EXPECT_EQ(layers[1].macs_after, 2 * (16 + 54));
  EXPECT_EQ(model.forward(torch::randn({3, 1, 12, 12})).sizes(), (std::vector<int64_t>{3, 5}));
}

TEST(LowRankRunTest, ARunStoresItsKindPinnedRanksAndSummaryAndResumesExactly) {
  TempDir dir;
  const auto store_path = dir.file("runs.sqlite");
  auto j = spirals_spec();
  j["lowrank"] = {{"energy", 0.9}, {"latency_batch", 64}};
  RunObserver quiet;
  RunControl go;
  auto whole = run_experiment(spec_from_json(j), store_path, quiet, go);
  ASSERT_EQ(whole.result.status, RunStatus::Finished) << whole.error;
  RunStore store(store_path, RunStore::Access::ReadOnly);
  auto run = store.get_run(whole.run_id);
  EXPECT_EQ(run.kind, "lowrank");
  auto stored = nlohmann::json::parse(run.spec_json)["lowrank"];
  ASSERT_TRUE(stored["layer_rank"].contains("layers.0")) << stored.dump();
  ASSERT_TRUE(stored["layer_rank"].contains("layers.2")) << stored.dump();
  auto summary = summary_of(store_path, whole.run_id)["lowrank"];
  ASSERT_EQ(summary["layers"].size(), 2u) << summary.dump();
  EXPECT_EQ(summary["layers"][1]["rank"], stored["layer_rank"]["layers.2"]);
  EXPECT_GT(summary["latency"]["speedup"].get<double>(), 0.0);
  EXPECT_EQ(summary["params"].get<int64_t>(), whole.result.params);
  int64_t saved = 0;
  for (const auto& layer : summary["layers"]) {
    saved += layer["params_before"].get<int64_t>() - layer["params_after"].get<int64_t>();
  }
  // Kept energy of freshly initialised weights needs high ranks (their spectrum is flat): the
  // count may grow, and the summary says so exactly.
  EXPECT_EQ(summary["params"].get<int64_t>(), summary["params_dense"].get<int64_t>() - saved);
  EXPECT_EQ(summary_of(store_path, whole.run_id)["macs_per_sample"], summary["macs_per_sample"]);

  RunControl control;
  struct StopAfter : RunObserver {
    RunControl& c;
    explicit StopAfter(RunControl& c) : c(c) {}
    void on_step(const StepRecord& r) override { c.stop = r.step >= 20; }
  } stopper(control);
  auto stopped = run_experiment(spec_from_json(j), store_path, stopper, control);
  ASSERT_EQ(stopped.result.status, RunStatus::Cancelled);
  RunControl again;
  auto resumed = resume_experiment(store_path, std::to_string(stopped.run_id), quiet, again);
  ASSERT_EQ(resumed.result.status, RunStatus::Finished) << resumed.error;
  EXPECT_EQ(resumed.result.test_loss, whole.result.test_loss);
  EXPECT_EQ(resumed.result.test_accuracy, whole.result.test_accuracy);
}

TEST(LowRankRunTest, StartsFromAFinishedRunsWeightsAndReportsTheDrop) {
  TempDir dir;
  const auto store_path = dir.file("runs.sqlite");
  RunObserver quiet;
  RunControl go;
  auto dense = run_experiment(spec_from_json(spirals_spec()), store_path, quiet, go);
  ASSERT_EQ(dense.result.status, RunStatus::Finished) << dense.error;
  auto j = spirals_spec();
  j["name"] = "factorised";
  j["schedule"]["epochs"] = 1;
  j["lowrank"] = {{"from_run", "lowrank-spirals"}, {"layers", {"layers.2"}}, {"rank", 4}};
  auto low = run_experiment(spec_from_json(j), store_path, quiet, go);
  ASSERT_EQ(low.result.status, RunStatus::Finished) << low.error;
  RunStore store(store_path, RunStore::Access::ReadOnly);
  auto run = store.get_run(low.run_id);
  EXPECT_EQ(run.parent_id, dense.run_id);
  auto pinned = nlohmann::json::parse(run.spec_json)["lowrank"]["from_run"].get<std::string>();
  EXPECT_EQ(pinned, store.get_run(dense.run_id).uuid);
  auto summary = summary_of(store_path, low.run_id)["lowrank"];
  EXPECT_EQ(summary["from_run"]["id"], dense.run_id);
  EXPECT_DOUBLE_EQ(summary["dense_test_accuracy"].get<double>(), dense.result.test_accuracy);
  EXPECT_NEAR(summary["accuracy_drop_points"].get<double>(),
              100 * (dense.result.test_accuracy - low.result.test_accuracy), 1e-9);
  // [24, 32] at rank 4, from trained weights: the error is that of their spectrum.
  EXPECT_GT(summary["layers"][0]["relative_error"].get<double>(), 0.0);
  EXPECT_LT(summary["layers"][0]["relative_error"].get<double>(), 1.0);

  // A factorised run is not a plain model to start from again.
  j["name"] = "twice";
  j["lowrank"]["from_run"] = "factorised";
  EXPECT_THROW(
      {
        try {
          run_experiment(spec_from_json(j), store_path, quiet, go);
        } catch (const InputError& e) {
          EXPECT_NE(std::string(e.what()).find("lowrank.from_run: run"), std::string::npos);
          EXPECT_NE(std::string(e.what()).find("reshaped its network"), std::string::npos);
          throw;
        }
      },
      InputError);
}

TEST(LowRankRunTest, AFinishedRunLoadsBackAsItsFactorisedNetwork) {
  TempDir dir;
  const auto store_path = dir.file("runs.sqlite");
  auto j = spirals_spec();
  j["lowrank"] = {{"rank", 2}};
  RunObserver quiet;
  RunControl go;
  auto low = run_experiment(spec_from_json(j), store_path, quiet, go);
  ASSERT_EQ(low.result.status, RunStatus::Finished) << low.error;
  // As a teacher: the distillation run loads the stored network, factorised layers and all.
  auto student = spirals_spec();
  student["name"] = "student";
  student["schedule"]["epochs"] = 1;
  student["distill"] = {{"teachers", {{{"run", "lowrank-spirals"}}}}};
  auto kd = run_experiment(spec_from_json(student), store_path, quiet, go);
  ASSERT_EQ(kd.result.status, RunStatus::Finished) << kd.error;
  EXPECT_NEAR(kd.distill_summary["test_teacher_accuracy"].get<double>(), low.result.test_accuracy,
              1e-9)
      << kd.distill_summary.dump();
}
