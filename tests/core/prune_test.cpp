// Pruning: masks, schedules, zero weights under Adam, shrinking and refusals, against hand
// counts and the formulas of REFERENCES.md.
#include <gtest/gtest.h>

#include <torch/torch.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "models/model_factory.h"
#include "moe/moe_layer.h"
#include "prune/masks.h"
#include "prune/prune_method.h"
#include "prune/prune_report.h"
#include "prune/pruner.h"
#include "prune/sensitivity.h"
#include "prune/shrink.h"
#include "prune_fixtures.h"
#include "train/spec_methods.h"
#include "train/trainer.h"
#include "train_recorder.h"
#include "util/input_error.h"

using namespace slimlab;
using namespace slimlab::testing;

TEST(PruneMasks, LowestKPrunesExactlyKAndBreaksTiesByPosition) {
  auto scores = torch::tensor({3.0, 1.0, 1.0, 1.0, 0.5, 2.0});
  auto keep = prune_lowest(scores, 3);
  EXPECT_TRUE(keep.equal(torch::tensor({1.0, 0.0, 0.0, 1.0, 0.0, 1.0})));
  EXPECT_EQ(zeros(prune_lowest(scores, 0)), 0);
}

TEST(PruneMasks, NmKeepsExactlyNOfEveryMInputs) {
  torch::manual_seed(0);
  for (auto shape : std::vector<std::vector<int64_t>>{{8, 16}, {6, 8, 3, 3}, {4, 12, 5}}) {
    auto w = torch::randn(shape);
    auto keep = nm_mask(w, 2, 4);
    // Groups run along dim 1 (inputs); count non-zeros per group of 4 consecutive inputs.
    auto groups = keep.movedim(1, -1).reshape({-1, 4}).sum(1);
    EXPECT_TRUE(groups.eq(2).all().item<bool>()) << w.sizes();
    // The kept two are the two largest |w| of their group.
    auto moved = w.movedim(1, -1).reshape({-1, 4}).abs();
    auto kept_min = (moved * keep.movedim(1, -1).reshape({-1, 4}) +
                     (1 - keep.movedim(1, -1).reshape({-1, 4})) * 1e9)
                        .amin(1);
    auto dropped_max = (moved * (1 - keep.movedim(1, -1).reshape({-1, 4}))).amax(1);
    EXPECT_TRUE(kept_min.ge(dropped_max).all().item<bool>());
  }
}

TEST(PruneMasks, LocalMagnitudeHitsTheSparsityOfEveryLayerToTheWeight) {
  auto model = mlp({37, 23});
  std::vector<torch::Tensor> before;
  for (const auto& p : model.ptr()->parameters()) before.push_back(p.detach().clone());
  PruneOptions o;
  o.sparsity = 0.37;
  Pruner pruner(o, *model.ptr(), ModelSpec{}, 0, 10);
  pruner.prune(0, nullptr);
  ASSERT_EQ(pruner.layers().size(), 3u);
  for (size_t i = 0; i < pruner.layers().size(); ++i) {
    const auto& state = pruner.layers()[i];
    const auto& w = state.layer.weight;
    int64_t wanted = python_round(0.37, w.numel());
    EXPECT_EQ(zeros(w), wanted) << state.layer.name;
    EXPECT_EQ(zeros(state.masks[0].mask), wanted);
    // The survivors are the largest: no pruned original |w| exceeds the smallest kept one.
    auto original = before[2 * i].abs();  // Parameters alternate weight, bias.
    auto kept = state.masks[0].mask.ne(0);
    EXPECT_LE(original.masked_select(kept.logical_not()).max().item<double>(),
              original.masked_select(kept).min().item<double>());
  }
}

TEST(PruneMasks, GlobalMagnitudeHitsTheOverallSparsityWithOneThreshold) {
  auto model = mlp({37, 23});
  std::vector<torch::Tensor> before;
  for (const auto& p : model.ptr()->parameters()) before.push_back(p.detach().clone());
  PruneOptions o;
  o.scope = PruneScope::Global;
  o.sparsity = 0.8;
  Pruner pruner(o, *model.ptr(), ModelSpec{}, 0, 10);
  pruner.prune(0, nullptr);
  int64_t total = 0, pruned = 0;
  double largest_pruned = 0, smallest_kept = 1e9;
  for (const auto& state : pruner.layers()) {
    auto m = state.masks[0].mask;
    auto w = state.layer.weight.detach();
    total += w.numel();
    pruned += zeros(m);
    auto kept = w.abs().masked_select(m.ne(0));
    smallest_kept = std::min(smallest_kept, kept.min().item<double>());
  }
  // The same pass over the originals: what was pruned was never larger than what was kept.
  auto params = model.ptr()->parameters();
  for (size_t i = 0; i < params.size(); ++i) {
    if (params[i].dim() < 2) continue;
    auto gone = before[i].abs().masked_select(params[i].eq(0));
    if (gone.numel() > 0) largest_pruned = std::max(largest_pruned, gone.max().item<double>());
  }
  EXPECT_EQ(pruned, python_round(0.8, total));  // Exact: no layer came near the floor.
  EXPECT_LE(largest_pruned, smallest_kept);
  // Global differs from local: the first (widest) layer takes more than its share.
  EXPECT_GT(pruner.layers()[0].sparsity, 0.8);
  EXPECT_TRUE(floored_layers_json(pruner).empty());
}

TEST(PruneMasks, RandomIsExactAndFollowsTheSeed) {
  auto a = mlp({30}), b = mlp({30});
  PruneOptions o;
  o.criterion = PruneCriterion::Random;
  o.sparsity = 0.5;
  Pruner pa(o, *a.ptr(), ModelSpec{}, 7, 10), pb(o, *b.ptr(), ModelSpec{}, 7, 10);
  pa.prune(0, nullptr);
  pb.prune(0, nullptr);
  const auto& m = pa.layers()[0].masks[0].mask;
  EXPECT_EQ(zeros(m), python_round(0.5, m.numel()));
  EXPECT_TRUE(m.equal(pb.layers()[0].masks[0].mask));
}

TEST(PruneMasks, StructuredRemovesWholeRowsAndTheirBiases) {
  auto model = mlp({20, 10});
  ModelSpec spec;
  spec.mlp.hidden({20, 10});
  PruneOptions o;
  o.criterion = PruneCriterion::L1Norm;
  o.sparsity = 0.3;
  Pruner pruner(o, *model.ptr(), spec, 0, 10);
  pruner.prune(0, nullptr);
  ASSERT_EQ(pruner.layers().size(), 2u);  // Not the output layer: its units are the classes.
  for (const auto& state : pruner.layers()) {
    auto rows_gone = state.layer.weight.abs().sum(1).eq(0);
    EXPECT_EQ(rows_gone.sum().item<int64_t>(), python_round(0.3, state.layer.units));
    EXPECT_TRUE(state.layer.bias.masked_select(rows_gone).eq(0).all().item<bool>());
  }
}

TEST(PruneCounts, HalvesRoundToEvenAsPyTorchPruneDoes) {
  EXPECT_EQ(pruned_count(0.25, 10), 2);      // 2.5: PyTorch prunes 2 (llround would prune 3).
  EXPECT_EQ(pruned_count(0.35, 10), 4);      // 0.35 * 10 is exactly 3.5 in double: 4, the even one.
  EXPECT_EQ(pruned_count(0.5, 7), 4);        // 3.5 -> 4.
  EXPECT_EQ(pruned_count(0.45, 10), 4);      // 4.5 -> 4.
  EXPECT_EQ(pruned_count(0.65625, 16), 10);  // 10.5 -> 10.
  EXPECT_EQ(pruned_count(0.0, 10), 0);
  // Against Python's round(share * n) for every share in steps of 0.005 and n up to 64.
  for (int i = 0; i <= 200; ++i) {
    for (int64_t n = 1; n <= 64; ++n) {
      double share = i * 0.005;
      ASSERT_EQ(pruned_count(share, n), python_round(share, n)) << share << " of " << n;
    }
  }
}

TEST(PruneCounts, MasksAndUnitsUseTheSameRounding) {
  for (auto [share, wanted] : std::vector<std::pair<double, int64_t>>{{0.25, 2}, {0.35, 4}}) {
    auto net = one_linear(5, 2);  // 10 weights.
    PruneOptions o;
    o.sparsity = share;
    Pruner pruner(o, *net, ModelSpec{}, 0, 10);
    pruner.prune(0, nullptr);
    EXPECT_EQ(zeros(pruner.layers()[0].masks[0].mask), wanted) << share;
    EXPECT_EQ(zeros(net[0]->as<torch::nn::Linear>()->weight), wanted) << share;
  }
  // AGP to 0.75 in 2 rounds asks 0.75 + (0 - 0.75)(1 - 1/2)^3 = 0.65625 at the middle round:
  // 10.5 of 16 units, so 10 go (and 5.25 of 8, so 5).
  ModelSpec spec;
  spec.mlp.hidden({16, 8});
  auto model = mlp({16, 8});
  PruneOptions o;
  o.criterion = PruneCriterion::L1Norm;
  o.schedule = PruneSchedule::Agp;
  o.sparsity = 0.75;
  o.rounds = 2;
  o.frequency = 10;
  Pruner pruner(o, *model.ptr(), spec, 0, 100);
  ASSERT_EQ(scheduled_sparsity(o, 0.75, 10), 0.65625);
  pruner.prune(0, nullptr);
  pruner.prune(10, nullptr);
  EXPECT_EQ(16 - pruner.layers()[0].unit_keep.sum().item<int64_t>(), 10);
  EXPECT_EQ(8 - pruner.layers()[1].unit_keep.sum().item<int64_t>(), 5);
}

TEST(PruneFloor, GlobalRankingHoldsBackEachTensorsBestOnPlainTensors) {
  // Without the floor the 5 lowest (0.05, 0.1, 0.2, 0.3, 0.3) would empty the first tensor.
  std::vector<torch::Tensor> scores = {torch::tensor({0.1, 0.3, 0.2, 0.3}),
                                       torch::tensor({5.0, 6.0}), torch::tensor({0.05, 0.4})};
  auto global = prune_lowest_global(scores, 5);
  // The last of the tied 0.3 stays; the next lowest, 5, goes instead: still exactly 5 pruned.
  EXPECT_TRUE(global.keep[0].equal(torch::tensor({0.0, 0.0, 0.0, 1.0})));
  EXPECT_TRUE(global.keep[1].equal(torch::tensor({0.0, 1.0})));
  EXPECT_TRUE(global.keep[2].equal(torch::tensor({0.0, 1.0})));
  EXPECT_EQ(global.floored, (std::vector<bool>{true, false, false}));
  // 4 would not empty it: no floor, the plain lowest 4.
  auto plain = prune_lowest_global(scores, 4);
  EXPECT_TRUE(plain.keep[0].equal(torch::tensor({0.0, 0.0, 0.0, 1.0})));
  EXPECT_TRUE(plain.keep[1].equal(torch::tensor({1.0, 1.0})));
  EXPECT_EQ(plain.floored, (std::vector<bool>{false, false, false}));
  // Asked for more than all but one per tensor: capped, each keeps its best.
  auto capped = prune_lowest_global(scores, 8);
  for (size_t i = 0; i < scores.size(); ++i) {
    EXPECT_EQ(capped.keep[i].sum().item<int64_t>(), 1) << i;
    EXPECT_TRUE(capped.floored[i]) << i;
  }
  // Already pruned entries (-1) are never held back: a fully pruned tensor stays pruned.
  auto gone = prune_lowest_global({torch::tensor({-1.0, -1.0}), torch::tensor({1.0, 2.0})}, 2);
  EXPECT_EQ(gone.keep[0].sum().item<int64_t>(), 0);
  EXPECT_FALSE(gone.floored[0]);
}

TEST(PruneFloor, GlobalAt99PercentKeepsTheBestWeightOfEveryLayerAndSaysWhich) {
  auto model = mlp({37, 23});  // 2368 + 851 + 230 = 3449 weights.
  {
    // The first two layers become so small that a plain global 99% would take them whole.
    torch::NoGradGuard no_grad;
    auto params = model.ptr()->named_parameters();
    params["layers.0.weight"].mul_(1e-3);
    params["layers.2.weight"].mul_(1e-3);
  }
  std::vector<torch::Tensor> before;
  for (const auto& p : model.ptr()->parameters()) before.push_back(p.detach().clone());
  PruneOptions o;
  o.scope = PruneScope::Global;
  o.sparsity = 0.99;
  Pruner pruner(o, *model.ptr(), ModelSpec{}, 0, 10);
  auto event = nlohmann::json::parse(pruner.prune(0, nullptr));
  int64_t pruned = 0;
  for (size_t i = 0; i < pruner.layers().size(); ++i) {
    const auto& state = pruner.layers()[i];
    const auto& mask = state.masks[0].mask;
    pruned += zeros(mask);
    ASSERT_GE(mask.sum().item<int64_t>(), 1) << state.layer.name;
    // Within a layer the survivors are its largest |w| (a floored layer's one is its largest).
    auto original = before[2 * i].abs();
    EXPECT_GE(original.masked_select(mask.ne(0)).min().item<double>(),
              original.masked_select(mask.eq(0)).max().item<double>())
        << state.layer.name;
  }
  EXPECT_EQ(pruned, python_round(0.99, 3449));  // 3414.51 -> 3415, exact despite the floor.
  EXPECT_EQ(pruner.layers()[0].masks[0].mask.sum().item<int64_t>(), 1);
  EXPECT_EQ(pruner.layers()[1].masks[0].mask.sum().item<int64_t>(), 1);
  auto floored = floored_layers_json(pruner);
  ASSERT_EQ(floored.size(), 2u) << floored.dump();
  EXPECT_EQ(floored[0]["name"], "layers.0");
  EXPECT_EQ(floored[0]["asked"], 2368);
  EXPECT_EQ(floored[0]["kept"], 1);
  EXPECT_EQ(floored[1]["name"], "layers.2");
  EXPECT_EQ(floored[1]["size"], 851);
  EXPECT_EQ(event["floored_layers"], floored);
  // Asking for more than all but one weight per layer: every layer keeps exactly one.
  auto other = mlp({37, 23});
  o.sparsity = 0.9999;  // 3448.65 -> 3449 asked, 3446 allowed.
  Pruner capped(o, *other.ptr(), ModelSpec{}, 0, 10);
  capped.prune(0, nullptr);
  for (const auto& state : capped.layers()) {
    EXPECT_EQ(state.masks[0].mask.sum().item<int64_t>(), 1) << state.layer.name;
  }
  EXPECT_EQ(floored_layers_json(capped).size(), 3u);
}

TEST(PruneFloor, LocalAndStructuredReportWhereTheFloorHeld) {
  auto net = one_linear(5, 2);
  PruneOptions o;
  o.sparsity = 0.99;  // 9.9 of 10 weights -> 10 asked, 9 allowed.
  Pruner local(o, *net, ModelSpec{}, 0, 10);
  auto event = nlohmann::json::parse(local.prune(0, nullptr));
  EXPECT_EQ(zeros(local.layers()[0].masks[0].mask), 9);
  ASSERT_EQ(event["floored_layers"].size(), 1u);
  EXPECT_EQ(event["floored_layers"][0]["asked"], 10);
  EXPECT_EQ(event["floored_layers"][0]["unit"], "weights");
  o.sparsity = 0.8;  // 8 of 10: the floor does not bind.
  auto free_net = one_linear(5, 2);
  Pruner unbound(o, *free_net, ModelSpec{}, 0, 10);
  EXPECT_TRUE(nlohmann::json::parse(unbound.prune(0, nullptr))["floored_layers"].empty());

  ModelSpec spec;
  spec.mlp.hidden({4, 20});
  auto model = mlp({4, 20});
  o.criterion = PruneCriterion::L2Norm;
  o.sparsity = 0.9;  // 3.6 of 4 units -> 4 asked, 3 allowed; 18 of 20 fit.
  Pruner structured(o, *model.ptr(), spec, 0, 10);
  structured.prune(0, nullptr);
  auto floored = floored_layers_json(structured);
  ASSERT_EQ(floored.size(), 1u);
  EXPECT_EQ(floored[0]["name"], "layers.0");
  EXPECT_EQ(floored[0]["unit"], "units");
  EXPECT_EQ(floored[0]["asked"], 4);
  EXPECT_EQ(floored[0]["kept"], 1);
}

TEST(PruneNm, LayersWhoseWidthIsNotAMultipleOfMAreListedAsSkipped) {
  auto model = mlp({30});  // layers.0 [30, 64]; layers.2 [10, 30]: 30 is not a multiple of 4.
  PruneOptions o;
  o.criterion = PruneCriterion::NM;
  Pruner pruner(o, *model.ptr(), ModelSpec{}, 0, 10);
  auto event = nlohmann::json::parse(pruner.prune(0, nullptr));
  ASSERT_EQ(pruner.layers().size(), 1u);
  EXPECT_EQ(pruner.layers()[0].layer.name, "layers.0");
  ASSERT_EQ(pruner.skipped_layers().size(), 1u);
  EXPECT_EQ(pruner.skipped_layers()[0].name, "layers.2");
  EXPECT_EQ(pruner.skipped_layers()[0].inputs, 30);
  auto skipped = nlohmann::json::array({{{"name", "layers.2"}, {"inputs", 30}, {"m", 4}}});
  EXPECT_EQ(skipped_layers_json(pruner), skipped);
  EXPECT_EQ(event["skipped_layers"], skipped);
  // Named layers are chosen, not skipped: nothing to list.
  o.layers = {"layers.0"};
  auto again = mlp({30});
  EXPECT_TRUE(Pruner(o, *again.ptr(), ModelSpec{}, 0, 10).skipped_layers().empty());
}

TEST(PruneSchedule, AgpMatchesZhuAndGuptaAtEveryStep) {
  PruneOptions o;
  o.schedule = PruneSchedule::Agp;
  o.initial_sparsity = 0.1;
  o.sparsity = 0.9;
  o.start_step = 30;
  o.frequency = 7;
  o.rounds = 5;
  for (int64_t t = 0; t < 100; ++t) {
    double expected = 0;
    if (t >= 30) {
      // The value at the last prune step t0 + j dt <= t; fixed after t0 + n dt.
      int64_t j = std::min<int64_t>(5, (t - 30) / 7);
      expected = 0.9 + (0.1 - 0.9) * std::pow(1.0 - double(j * 7) / (5.0 * 7.0), 3);
    }
    EXPECT_NEAR(scheduled_sparsity(o, 0.9, t), expected, 1e-12) << "step " << t;
  }
  EXPECT_EQ(prune_steps(o), (std::vector<int64_t>{30, 37, 44, 51, 58, 65}));
}

TEST(PruneSchedule, IterativeRemovesTheSameShareOfSurvivorsEachRound) {
  PruneOptions o;
  o.schedule = PruneSchedule::Iterative;
  o.sparsity = 1.0 - std::pow(0.8, 3);  // Three rounds of 20% (the lottery-ticket recipe).
  o.frequency = 10;
  o.rounds = 3;
  EXPECT_NEAR(scheduled_sparsity(o, o.sparsity, 10), 0.2, 1e-12);
  EXPECT_NEAR(scheduled_sparsity(o, o.sparsity, 25), 1 - 0.8 * 0.8, 1e-12);
  EXPECT_NEAR(scheduled_sparsity(o, o.sparsity, 99), o.sparsity, 1e-12);
  EXPECT_EQ(scheduled_sparsity(o, o.sparsity, 9), 0.0);
}

TEST(PruneTraining, AgpRunFollowsTheScheduleAndPrunedWeightsStayZeroUnderAdam) {
  auto spec = moons_spec();
  spec.prune.scope = PruneScope::Global;
  spec.prune.sparsity = 0.75;
  spec.prune.schedule = PruneSchedule::Agp;
  spec.prune.start_step = 4;
  spec.prune.frequency = 3;
  spec.prune.rounds = 5;
  Trainer trainer(spec, load_data(spec.data, spec.seed));
  add_spec_methods(trainer, spec, "");
  Recorder recorder;
  RunControl control;
  auto result = trainer.run(recorder, control);
  ASSERT_EQ(result.status, RunStatus::Finished);
  const int64_t weights = 2 * 48 + 48 * 40 + 40 * 2;
  int events = 0;
  for (const auto& e : recorder.events) {
    if (e.kind != "prune") continue;
    ++events;
    auto j = nlohmann::json::parse(e.payload_json);
    double formula = scheduled_sparsity(spec.prune, 0.75, e.step);
    EXPECT_NEAR(j["global"].get<double>(), formula, 1.0 / double(weights)) << "step " << e.step;
  }
  EXPECT_EQ(events, 6);
  // Every logged step reports the staircase the formula gives (steps are 1-based after a step).
  for (const auto& r : recorder.steps) {
    for (const auto& [key, value] : r.extra) {
      if (key == "sparsity/global" || key == "sparsity/target") {
        EXPECT_NEAR(value, scheduled_sparsity(spec.prune, 0.75, r.step - 1), 1.0 / weights)
            << key << " at step " << r.step;
      }
    }
  }
  // 120 - 19 = 101 Adam steps after the last prune: the pruned weights are still exactly zero.
  for (const auto& state : trainer.find_method<PruneMethod>()->pruner().layers()) {
    auto pruned = state.layer.weight.detach().masked_select(state.masks[0].mask.eq(0));
    EXPECT_GT(pruned.numel(), 0);
    EXPECT_EQ(pruned.abs().max().item<double>(), 0.0) << state.layer.name;
  }
}

class PruneResume : public ::testing::TestWithParam<bool> {};

TEST_P(PruneResume, ResumeRestoresMasksAndRewindWeightsAndMatchesAnUnbrokenRun) {
  auto spec = moons_spec();
  spec.prune.rewind = GetParam();  // The rewind weights must come back from the checkpoint too.
  spec.prune.sparsity = 0.6;
  spec.prune.schedule = PruneSchedule::Iterative;
  spec.prune.frequency = 20;
  spec.prune.rounds = 4;
  spec.schedule.checkpoint_interval_steps = 30;
  Recorder whole;
  Trainer a(spec, load_data(spec.data, spec.seed));
  add_spec_methods(a, spec, "");
  RunControl control;
  a.run(whole, control);
  // Continue from the checkpoint at 30 (after the prune at 20) in a new trainer.
  std::string checkpoint;
  for (const auto& c : whole.checkpoints) {
    if (c.step == 30) checkpoint = c.bytes;
  }
  ASSERT_FALSE(checkpoint.empty());
  Trainer b(spec, load_data(spec.data, spec.seed));
  add_spec_methods(b, spec, "");
  b.restore(checkpoint);
  Recorder rest;
  b.run(rest, control);
  auto pa = a.module().parameters(), pb = b.module().parameters();
  for (size_t i = 0; i < pa.size(); ++i) EXPECT_TRUE(pa[i].equal(pb[i])) << i;
}

INSTANTIATE_TEST_SUITE_P(WithAndWithoutRewind, PruneResume, ::testing::Bool());

TEST(PruneTraining, LotteryRewindRestoresTheSurvivorsToTheirInitialValues) {
  auto spec = moons_spec();
  spec.prune.sparsity = 0.5;
  spec.prune.start_step = 40;
  spec.prune.rewind = true;
  spec.schedule.steps = 41;  // One step after the prune: weights are init + one Adam step.
  Trainer trainer(spec, load_data(spec.data, spec.seed));
  add_spec_methods(trainer, spec, "");
  std::vector<torch::Tensor> initial;
  for (const auto& p : trainer.module().parameters()) initial.push_back(p.detach().clone());
  Recorder recorder;
  RunControl control;
  trainer.run(recorder, control);
  // 41 steps, the last after the rewind: every survivor is within one Adam step (lr) of init.
  auto params = trainer.module().parameters();
  for (size_t i = 0; i < params.size(); ++i) {
    auto moved = (params[i].detach() - initial[i]).abs();
    auto pruned = params[i].detach().eq(0) & initial[i].ne(0);
    EXPECT_LE(moved.masked_select(pruned.logical_not()).max().item<double>(), 0.0101) << i;
  }
}

TEST(PruneShrink, ShrunkMlpAndCnnComputeWhatTheMaskedNetworksCompute) {
  for (auto kind : {ModelKind::Mlp, ModelKind::Cnn}) {
    ModelSpec spec;
    spec.kind = kind;
    spec.mlp.hidden({64, 32});
    spec.cnn.channels({8, 12}).fc_hidden(24);
    torch::manual_seed(2);
    auto model = make_model(spec, {1, 28, 28}, 10);
    PruneOptions o;
    o.criterion = PruneCriterion::L2Norm;
    o.sparsity = 0.5;
    Pruner pruner(o, *model.ptr(), spec, 0, 10);
    pruner.prune(0, nullptr);
    std::map<std::string, torch::Tensor> keep;
    for (const auto& s : pruner.layers()) keep[s.layer.name] = s.unit_keep;
    auto shrunk = shrink_model(spec, *model.ptr(), keep, {1, 28, 28}, 10);
    model.ptr()->eval();
    torch::NoGradGuard no_grad;
    auto x = torch::randn({16, 1, 28, 28});
    auto diff = (shrunk.model.forward(x) - model.forward(x)).abs().max().item<double>();
    EXPECT_LT(diff, 1e-5) << model_name(kind);
    EXPECT_LT(count_parameters(*shrunk.model.ptr()), count_parameters(*model.ptr()) / 2);
  }
}

TEST(PruneShrink, ExpertLoadDropsTheLeastUsedExpertsAndTheShrunkMixtureAgrees) {
  ModelSpec spec;
  spec.kind = ModelKind::MoeMlp;
  spec.moe_mlp.width(32).moe(MoeOptions().experts(6).hidden(16).top_k(2));
  torch::manual_seed(4);
  auto model = make_model(spec, {1, 8, 8}, 10);
  PruneOptions o;
  o.criterion = PruneCriterion::ExpertLoad;
  o.sparsity = 0.5;
  o.start_step = 1;
  Pruner pruner(o, *model.ptr(), spec, 0, 10);
  model.ptr()->train();
  for (int i = 0; i < 5; ++i) {
    model.forward(torch::randn({64, 1, 8, 8}));
    pruner.observe_routing();
  }
  auto load = pruner.layers()[0].router_load.clone();
  pruner.prune(1, nullptr);
  const auto& keep = pruner.layers()[0].unit_keep;
  EXPECT_EQ(keep.sum().item<int64_t>(), 3);
  // Every expert kept was used at least as much as every expert dropped.
  auto kept = load.masked_select(keep.ne(0)), dropped = load.masked_select(keep.eq(0));
  EXPECT_GE(kept.min().item<int64_t>(), dropped.max().item<int64_t>());
  model.ptr()->eval();
  torch::NoGradGuard no_grad;
  auto x = torch::randn({40, 1, 8, 8});
  auto shrunk = shrink_model(spec, *model.ptr(), {{"moe0", keep}}, {1, 8, 8}, 10);
  EXPECT_LT((shrunk.model.forward(x) - model.forward(x)).abs().max().item<double>(), 1e-5);
  EXPECT_EQ(shrunk.spec.moe_mlp.moe().experts(), 3);
}

TEST(PruneRefusals, BadLayersSparsitiesAndNmAreRefusedBeforeTraining) {
  auto spec_with = [](const std::string& prune) {
    return nlohmann::json::parse(R"({"data": {"dataset": "moons"}, "prune": )" + prune + "}");
  };
  auto message = [&](const std::string& prune) -> std::string {
    try {
      auto spec = spec_from_json(spec_with(prune));
      Trainer trainer(spec, load_data(spec.data, spec.seed));
      add_spec_methods(trainer, spec, "");
    } catch (const InputError& e) {
      return e.what();
    }
    return "";
  };
  EXPECT_NE(message(R"({"layers": ["layers.9"]})").find("prune.layers[0]: no layer \"layers.9\""),
            std::string::npos);
  EXPECT_NE(message(R"({"layers": ["layers.9"]})").find("prunable: layers.0, layers.2"),
            std::string::npos);
  EXPECT_NE(message(R"({"sparsity": 1})").find("prune.sparsity: must be at least 0 and below 1"),
            std::string::npos);
  EXPECT_NE(message(R"({"sparsity": -0.1})").find("prune.sparsity"), std::string::npos);
  EXPECT_NE(message(R"({"criterion": "n:m", "n": 4, "m": 4})").find("N must be below M"),
            std::string::npos);
  EXPECT_NE(message(R"({"criterion": "l1-norm", "scope": "global"})").find("prune.scope"),
            std::string::npos);
  EXPECT_NE(message(R"({"schedule": "agp", "start_step": 0, "frequency": 1000})")
                .find("must come before the run's last step"),
            std::string::npos);
  EXPECT_NE(message(R"({"criterion": "expert-load", "start_step": 5})").find("needs MoE layers"),
            std::string::npos);
  EXPECT_NE(message(R"({"layer_sparsity": {"layers.7": 0.5}})").find("prune.layer_sparsity"),
            std::string::npos);
}

TEST(PruneSensitivity, SweepsEachLayerAloneAndRestoresTheWeights) {
  auto spec = moons_spec();
  spec.has_prune = false;
  Trainer trainer(spec, load_data(spec.data, spec.seed));
  add_spec_methods(trainer, spec, "");
  std::vector<torch::Tensor> before;
  for (const auto& p : trainer.module().parameters()) before.push_back(p.detach().clone());
  PruneOptions o;
  o.sensitivity_sparsities = {0.0, 0.5, 0.95};
  int evaluations = 0;
  auto rows = sensitivity_analysis(trainer.module(), spec.model, o, 0, [&] {
    // Layer evaluations / 3 is being swept at sparsity o.sensitivity_sparsities[evaluations % 3]:
    // it has exactly that share of zeros, every other layer none.
    std::vector<torch::Tensor> weights;
    for (const auto& p : trainer.module().parameters()) {
      if (p.dim() == 2) weights.push_back(p);
    }
    for (size_t l = 0; l < weights.size(); ++l) {
      double s = l == size_t(evaluations / 3) ? o.sensitivity_sparsities[evaluations % 3] : 0.0;
      EXPECT_EQ(zeros(weights[l]), python_round(s, weights[l].numel()))
          << "layer " << l << " at evaluation " << evaluations;
    }
    ++evaluations;
    return trainer.evaluate(trainer.data().validation);
  });
  EXPECT_EQ(rows.size(), 9u);  // 3 layers x 3 sparsities.
  EXPECT_EQ(evaluations, 9);
  auto params = trainer.module().parameters();
  for (size_t i = 0; i < params.size(); ++i) EXPECT_TRUE(params[i].equal(before[i]));
  EXPECT_DOUBLE_EQ(rows[0].accuracy, rows[3].accuracy);  // Sparsity 0 is the same network.
}
