// Pruning's reality summary: the layer table's counts and MACs by hand, its totals, and the
// prune section's JSON round trip.
#include <gtest/gtest.h>

#include <torch/torch.h>

#include <nlohmann/json.hpp>

#include "models/model_factory.h"
#include "prune/prune_method.h"
#include "prune/prune_report.h"
#include "prune/pruner.h"
#include "prune_fixtures.h"
#include "train/spec_methods.h"
#include "train/trainer.h"
#include "train_recorder.h"

using namespace slimlab;
using namespace slimlab::testing;

TEST(PruneReport, LayerTableCountsParamsNonZerosAndConvMacsByHand) {
  ModelSpec spec;
  spec.kind = ModelKind::Cnn;
  spec.cnn.channels({4, 6}).kernel_size(3).fc_hidden(16);
  auto model = make_model(spec, {1, 28, 28}, 10);
  auto table = layer_table(*model.ptr(), spec, {1, 28, 28});
  const auto& rows = table["layers"];
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_EQ(rows[0]["macs"].get<int64_t>(), 4 * 1 * 9 * 28 * 28);
  EXPECT_EQ(rows[1]["macs"].get<int64_t>(), 6 * 4 * 9 * 14 * 14);
  EXPECT_EQ(rows[2]["macs"].get<int64_t>(), 16 * 6 * 7 * 7);
  EXPECT_EQ(table["totals"]["params"].get<int64_t>(), count_parameters(*model.ptr()));
  EXPECT_EQ(table["bytes"]["dense"].get<int64_t>(), 4 * count_parameters(*model.ptr()));
}

// Every column has one definition, and the totals are the sums of the rows.
static void expect_consistent_table(const nlohmann::json& table) {
  int64_t params = 0, nonzeros = 0, weights = 0, macs = 0, nonzero_macs = 0;
  for (const auto& row : table["layers"]) {
    const auto name = row["name"].get<std::string>();
    params += row["params"].get<int64_t>();
    nonzeros += row["nonzeros"].get<int64_t>();
    weights += row["weights"].get<int64_t>();
    macs += row["macs"].get<int64_t>();
    nonzero_macs += row["nonzero_macs"].get<int64_t>();
    EXPECT_DOUBLE_EQ(row["sparsity"].get<double>(),
                     1.0 - row["nonzeros"].get<double>() / row["params"].get<double>())
        << name;
  }
  const auto& totals = table["totals"];
  EXPECT_EQ(totals["params"].get<int64_t>(), params);
  EXPECT_EQ(totals["nonzeros"].get<int64_t>(), nonzeros);
  EXPECT_EQ(totals["weights"].get<int64_t>(), weights);
  EXPECT_EQ(totals["macs"].get<int64_t>(), macs);
  EXPECT_EQ(totals["nonzero_macs"].get<int64_t>(), nonzero_macs);
  EXPECT_DOUBLE_EQ(totals["sparsity"].get<double>(), 1.0 - double(nonzeros) / double(params));
}

TEST(PruneReport, TableTotalsAreTheSumsOfTheRowsAndMaskSparsityCoversTheSelectedWeights) {
  auto spec = moons_spec();  // layers.0 [48, 2], layers.2 [40, 48], layers.4 [2, 40].
  spec.schedule.steps = 20;
  spec.prune.layers = {"layers.2", "layers.4"};
  spec.prune.sparsity = 0.7;
  spec.prune.latency_batch = 8;
  Trainer trainer(spec, load_data(spec.data, spec.seed));
  add_spec_methods(trainer, spec, "");
  Recorder recorder;
  RunControl control;
  ASSERT_EQ(trainer.run(recorder, control).status, RunStatus::Finished);
  auto report = prune_report(trainer.model(), spec.model, spec.prune,
                             trainer.find_method<PruneMethod>()->pruner(), trainer.data());
  const auto& table = report["table"];
  expect_consistent_table(table);
  auto params = trainer.module().named_parameters();
  for (const auto& row : table["layers"]) {
    auto w = params[row["name"].get<std::string>() + ".weight"];
    auto b = params[row["name"].get<std::string>() + ".bias"];
    EXPECT_EQ(row["weights"].get<int64_t>(), w.numel());
    EXPECT_EQ(row["params"].get<int64_t>(), w.numel() + b.numel());
    EXPECT_EQ(row["nonzeros"].get<int64_t>(), w.numel() - zeros(w) + b.numel() - zeros(b));
    EXPECT_DOUBLE_EQ(row["weight_sparsity"].get<double>(), double(zeros(w)) / double(w.numel()));
  }
  // The mask sparsity: zeros over the weights of the selected layers only, biases excluded.
  auto w2 = params["layers.2.weight"], w4 = params["layers.4.weight"];
  EXPECT_EQ(report["mask_weights"].get<int64_t>(), w2.numel() + w4.numel());
  EXPECT_DOUBLE_EQ(report["mask_sparsity"].get<double>(),
                   double(zeros(w2) + zeros(w4)) / double(w2.numel() + w4.numel()));
  EXPECT_EQ(report["mask_layers"], nlohmann::json::array({"layers.2", "layers.4"}));
  EXPECT_EQ(zeros(params["layers.0.weight"]), 0);
  EXPECT_TRUE(report["floored_layers"].empty());
  EXPECT_TRUE(report["skipped_layers"].empty());
}

TEST(PruneReport, TableOfAMixtureSumsItsRowsIncludingTheOtherParameters) {
  ModelSpec spec;
  spec.kind = ModelKind::MoeMlp;
  spec.moe_mlp.width(32).moe(MoeOptions().experts(6).hidden(16).top_k(2));
  torch::manual_seed(4);
  auto model = make_model(spec, {1, 8, 8}, 10);
  auto table = layer_table(*model.ptr(), spec, {1, 8, 8});
  ASSERT_EQ(table["layers"].back()["name"], "(other)");  // The router at least.
  EXPECT_FALSE(table["layers"].back().contains("weight_sparsity"));
  expect_consistent_table(table);
  EXPECT_EQ(table["totals"]["params"].get<int64_t>(), count_parameters(*model.ptr()));
}

TEST(PruneSpec, RoundTripsWithEveryDefaultWrittenOut) {
  auto spec = spec_from_json(nlohmann::json::parse(R"({"prune": {"criterion": "l2-norm",
      "sparsity": 0.4, "layer_sparsity": {"layers.0": 0.6}, "schedule": "agp",
      "frequency": 50, "rounds": 4, "rewind": true, "sensitivity_sparsities": [0, 0.5]}})"));
  ASSERT_TRUE(spec.has_prune);
  EXPECT_EQ(spec.prune.criterion, PruneCriterion::L2Norm);
  EXPECT_EQ(spec.prune.layer_sparsity.at("layers.0"), 0.6);
  auto written = spec_to_json(spec);
  EXPECT_EQ(written["prune"]["n"], 2);  // Defaults are written, so the stored spec is complete.
  EXPECT_EQ(spec_to_json(spec_from_json(written)), written);
  EXPECT_FALSE(spec_from_json(nlohmann::json::object()).has_prune);
}
