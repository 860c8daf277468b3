// Tune's core: the plan format refuses bad input by field; the plan evaluator computes exactly
// what the plain operations compute (magnitude pruning, a truncated SVD, LibTorch's fake
// quantisation) on a trained run's weights and counts the costs by hand; budget allocation meets
// its budget or says why not; a plan becomes a fine-tuned child run that keeps the plan.
#include <gtest/gtest.h>

#include <torch/torch.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <fstream>

#include "data/dataset.h"
#include "prune/masks.h"
#include "spec/experiment_spec.h"
#include "store/run_store.h"
#include "test_files.h"
#include "train/run_session.h"
#include "train/stored_model.h"
#include "train/trainer.h"
#include "tune/budget_allocation.h"
#include "tune/plan_evaluator.h"
#include "tune/plan_run.h"
#include "util/input_error.h"

using namespace slimlab;
using namespace slimlab::testing;

namespace {

std::string plan_refusal(const nlohmann::json& j) {
  try {
    plan_from_json(j);
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

nlohmann::json spirals_spec() {
  return {{"name", "tune-spirals"},
          {"seed", 3},
          {"data", {{"dataset", "spirals"}, {"points", 1500}, {"batch_size", 50}}},
          {"model", {{"kind", "mlp"}, {"hidden", {32, 24}}}},
          {"optimizer", {{"lr", 0.01}}},
          {"schedule", {{"epochs", 6}, {"log_interval_steps", 10}}}};
}

// One trained spirals run, shared by the tests of this file (training is the slow part).
class TuneTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    store_ = dir_->file("runs.sqlite");
    RunObserver quiet;
    RunControl control;
    auto outcome = run_experiment(spec_from_json(spirals_spec()), store_, quiet, control);
    ASSERT_EQ(outcome.result.status, RunStatus::Finished);
    run_ = outcome.run_id;
  }
  static void TearDownTestSuite() { delete dir_; }

  // The same network, loaded by hand, with the evaluator's sample.
  struct Reference {
    torch::nn::AnyModule model;
    torch::Tensor x, y;
  };
  static Reference reference(int64_t samples) {
    auto stored = load_finished_run(store_, std::to_string(run_), "test");
    auto data = load_data(stored.spec.data, stored.spec.seed);
    Reference r;
    r.model = make_stored_model(stored, data.sample_shape, data.classes);
    load_model_weights(*r.model.ptr(), stored.checkpoint);
    r.model.ptr()->eval();
    r.x = data.validation.x.slice(0, 0, samples);
    r.y = data.validation.y.slice(0, 0, samples);
    return r;
  }
  static std::pair<double, double> loss_accuracy(Reference& r) {
    torch::NoGradGuard no_grad;
    auto logits = r.model.forward(r.x);
    return {torch::cross_entropy_loss(logits, r.y).item<double>(),
            logits.argmax(1).eq(r.y).to(torch::kFloat64).mean().item<double>()};
  }
  static torch::Tensor weight(Reference& r, const std::string& layer) {
    return r.model.ptr()->named_parameters()[layer + ".weight"];
  }

  static TempDir* dir_;
  static std::string store_;
  static int64_t run_;
};
TempDir* TuneTest::dir_ = nullptr;
std::string TuneTest::store_;
int64_t TuneTest::run_ = 0;

}  // namespace

TEST(CompressionPlanTest, ReadsWhatItWritesAndRefusesBadInputByField) {
  CompressionPlan plan;
  plan.layers["layers.0"].sparsity = 0.5;
  plan.layers["layers.0"].bits = 4;
  plan.layers["fc"].rank = 12;
  EXPECT_EQ(plan_from_json(plan_to_json(plan)), plan);
  EXPECT_EQ(describe_setting(plan.layers["layers.0"]), "sparsity 0.50, 4 bits");

  auto layer = [](nlohmann::json setting) {
    return nlohmann::json{{"layers", {{"fc", std::move(setting)}}}};
  };
  EXPECT_EQ(plan_refusal(layer({{"sparsity", 1.0}})),
            "plan.layers.fc.sparsity: must be below 1 (1 would empty the layer), got 1");
  EXPECT_NE(plan_refusal(layer({{"sparsity", -0.1}})).find("plan.layers.fc.sparsity"),
            std::string::npos);
  EXPECT_NE(plan_refusal(layer({{"bits", 9}})).find("plan.layers.fc.bits: must be between 2 and 8"),
            std::string::npos);
  EXPECT_NE(plan_refusal(layer({{"rank", 0}})).find("plan.layers.fc.rank"), std::string::npos);
  EXPECT_NE(plan_refusal(layer({{"rank", "4"}})).find("plan.layers.fc.rank"), std::string::npos);
  EXPECT_NE(plan_refusal(layer({{"sparse", 0.5}})).find("plan.layers.fc"), std::string::npos);
  EXPECT_NE(plan_refusal(layer({{"bitz", 4}})).find("(allowed: bits, rank, sparsity)"),
            std::string::npos)
      << plan_refusal(layer({{"bitz", 4}}));
  EXPECT_NE(plan_refusal(layer({{"sparsity", 0.5}, {"rank", 3}})).find("not both"),
            std::string::npos);
  EXPECT_NE(plan_refusal(layer({{"rank", 3}, {"bits", 8}})).find("plan.layers.fc:"),
            std::string::npos);
  EXPECT_NE(plan_refusal(layer(3)).find("plan.layers.fc: must be an object"), std::string::npos);
  EXPECT_NE(plan_refusal({{"schema", 2}}).find("plan.schema"), std::string::npos);
  EXPECT_NE(plan_refusal({{"layer", {}}}).find("plan.layer"), std::string::npos);
  EXPECT_NE(plan_refusal({{"layers", {1, 2}}}).find("plan.layers: must be an object"),
            std::string::npos);
  EXPECT_NE(plan_refusal(nlohmann::json::array()).find("plan: a plan must be a JSON object"),
            std::string::npos);

  TempDir dir;
  EXPECT_THROW(read_plan_file(dir.file("missing.json")), InputError);
  std::ofstream(dir.file("bad.json")) << "{\"layers\": ";
  try {
    read_plan_file(dir.file("bad.json"));
    FAIL();
  } catch (const InputError& e) {
    EXPECT_EQ(std::string(e.what()).rfind(dir.file("bad.json") + ": not valid JSON", 0), 0u)
        << e.what();
  }
}

TEST(BudgetTest, ReadsAxisAndShareAndRefusesTheRest) {
  auto b = parse_budget("bytes=0.3", "--target");
  EXPECT_EQ(b.axis, CostAxis::Bytes);
  EXPECT_DOUBLE_EQ(b.fraction, 0.3);
  EXPECT_EQ(describe_budget(b), "bytes=0.3");
  auto refusal = [](const std::string& text) {
    try {
      parse_budget(text, "--target");
    } catch (const InputError& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  EXPECT_NE(refusal("param=0.25").find("did you mean params?"), std::string::npos);
  EXPECT_NE(refusal("0.25").find("--target: write it as axis=share"), std::string::npos);
  EXPECT_NE(refusal("params=0").find("must be above 0 and at most 1"), std::string::npos);
  EXPECT_NE(refusal("params=1.5").find("--target"), std::string::npos);
  EXPECT_NE(refusal("params=x").find("got \"x\""), std::string::npos);
  EXPECT_NE(refusal("params=nan").find("--target"), std::string::npos);
  EXPECT_EQ(parse_tune_methods("quant,prune", "--methods").size(), 2u);
  EXPECT_THROW(parse_tune_methods("prune,prune", "--methods"), InputError);
  EXPECT_THROW(parse_tune_methods("", "--methods"), InputError);
  try {
    parse_tune_methods("prun", "--methods");
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("did you mean prune?"), std::string::npos) << e.what();
  }
}

TEST_F(TuneTest, AsTrainedTheEvaluatorMatchesAPlainForwardPass) {
  PlanEvaluator evaluator(store_, std::to_string(run_), 100);
  EXPECT_EQ(evaluator.split(), "validation");
  EXPECT_EQ(evaluator.samples(), 100);
  auto ref = reference(100);
  auto [loss, accuracy] = loss_accuracy(ref);
  auto m = evaluator.evaluate({});
  ASSERT_TRUE(m);
  EXPECT_NEAR(m->loss, loss, 1e-6);
  EXPECT_DOUBLE_EQ(m->accuracy, accuracy);
  // Costs by hand: mlp 2 -> 32 -> 24 -> 2, every weight and bias float32.
  const int64_t params = 2 * 32 + 32 + 32 * 24 + 24 + 24 * 2 + 2;
  EXPECT_EQ(m->cost.params, params);
  EXPECT_EQ(m->cost.bytes, 4 * params);
  EXPECT_EQ(m->cost.macs, 2 * 32 + 32 * 24 + 24 * 2);
  ASSERT_EQ(evaluator.layers().size(), 3u);
  EXPECT_EQ(evaluator.layers()[1].out, 24);
  EXPECT_EQ(evaluator.layers()[1].in, 32);
}

TEST_F(TuneTest, EachSettingEqualsThePlainOperation) {
  PlanEvaluator evaluator(store_, std::to_string(run_), 150);
  const std::string hidden = evaluator.layers()[1].name;
  auto dense = evaluator.evaluate({});
  torch::NoGradGuard no_grad;
  {  // Magnitude pruning: the 384 smallest |w| of 768 set to zero.
    CompressionPlan plan;
    plan.layers[hidden].sparsity = 0.5;
    auto m = evaluator.evaluate(plan);
    auto ref = reference(150);
    auto w = weight(ref, hidden);
    auto order = w.abs().flatten().argsort();
    w.view(-1).index_fill_(0, order.slice(0, 0, 384), 0.0);
    EXPECT_NEAR(m->loss, loss_accuracy(ref).first, 1e-6);
    EXPECT_EQ(m->cost.params, dense->cost.params - 384);
    EXPECT_EQ(m->cost.bytes, dense->cost.bytes);  // Zeros are stored.
    EXPECT_EQ(m->cost.macs, dense->cost.macs - 384);
  }
  {  // Low rank: W_k from a plain SVD; at full rank nothing changes.
    CompressionPlan plan;
    plan.layers[hidden].rank = 5;
    auto m = evaluator.evaluate(plan);
    auto ref = reference(150);
    auto w = weight(ref, hidden);
    auto [u, s, vh] = torch::linalg_svd(w.to(torch::kFloat64), false);
    w.copy_(u.slice(1, 0, 5).matmul(torch::diag(s.slice(0, 0, 5))).matmul(vh.slice(0, 0, 5)));
    EXPECT_NEAR(m->loss, loss_accuracy(ref).first, 1e-5);
    EXPECT_EQ(m->cost.params, dense->cost.params - 24 * 32 + 5 * (24 + 32));
    plan.layers[hidden].rank = 24;
    EXPECT_NEAR(evaluator.evaluate(plan)->loss, dense->loss, 1e-5);
  }
  {  // 3 bits, symmetric per channel: LibTorch's fake quantisation is the oracle.
    CompressionPlan plan;
    plan.layers[hidden].bits = 3;
    auto m = evaluator.evaluate(plan);
    auto ref = reference(150);
    auto w = weight(ref, hidden);
    auto scale = (w.abs().amax(1) / 3.0).to(torch::kFloat32);
    auto zero = torch::zeros({24}, torch::kInt32);
    w.copy_(torch::fake_quantize_per_channel_affine(w, scale, zero, 0, -3, 3));
    EXPECT_NEAR(m->loss, loss_accuracy(ref).first, 1e-6);
    EXPECT_EQ(m->cost.bytes, dense->cost.bytes - 768 * 4 + (768 * 3 + 7) / 8 + 24 * 8);
  }
  // Back to as trained: exactly the first figures (only changed layers are recomputed).
  auto again = evaluator.evaluate({});
  EXPECT_EQ(again->loss, dense->loss);
  EXPECT_EQ(again->accuracy, dense->accuracy);
}

TEST_F(TuneTest, BadPlansAndRunsAreRefusedByName) {
  PlanEvaluator evaluator(store_, std::to_string(run_), 50);
  CompressionPlan plan;
  plan.layers["layers.1"].sparsity = 0.5;
  try {
    evaluator.evaluate(plan);
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("plan.layers.layers.1: run"), std::string::npos)
        << e.what();
    EXPECT_NE(std::string(e.what()).find("did you mean"), std::string::npos) << e.what();
  }
  plan.layers.clear();
  plan.layers[evaluator.layers()[0].name].rank = 3;  // Its weight is 32 x 2.
  try {
    evaluator.check(plan);
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find(".rank: must be at most 2"), std::string::npos)
        << e.what();
  }
  std::atomic<bool> cancel{true};
  EXPECT_FALSE(evaluator.evaluate({}, &cancel).has_value());
  EXPECT_THROW(PlanEvaluator(store_, "no-such-run"), InputError);
  EXPECT_THROW(PlanEvaluator(store_, std::to_string(run_), 0), InputError);
}

TEST_F(TuneTest, AllocationMeetsItsBudgetOrSaysWhyNot) {
  PlanEvaluator evaluator(store_, std::to_string(run_), 150);
  const std::vector<TuneMethod> all = {TuneMethod::Prune, TuneMethod::LowRank, TuneMethod::Quant};
  size_t calls = 0;
  auto curves = sensitivity_curves(evaluator, all, [&](size_t, size_t) { ++calls; });
  ASSERT_TRUE(curves);
  size_t expected = 0;
  for (auto method : all) {
    for (const auto& layer : method_layers(evaluator, method))
      expected += curve_settings(layer, method).size();
  }
  EXPECT_EQ(curves->points.size(), expected);
  EXPECT_EQ(calls, expected);
  EXPECT_EQ(method_layers(evaluator, TuneMethod::LowRank).size(), 2u);  // Not the classifier.

  for (const char* target : {"params=0.4", "macs=0.5", "bytes=0.3"}) {
    SCOPED_TRACE(target);
    const auto budget = parse_budget(target, "--target");
    auto a = allocate_budget(evaluator, *curves, all, budget, "--target");
    EXPECT_LE(cost_on(a.cost, budget.axis), budget_limit(evaluator, budget));
    EXPECT_EQ(a.cost.params, evaluator.cost(a.plan).params);
    for (const auto& u : uniform_plans(evaluator, all, budget)) {
      EXPECT_LE(cost_on(u.cost, budget.axis), budget_limit(evaluator, budget)) << u.setting;
    }
  }
  // Pruning's zeros are stored: no pruning meets a bytes budget, and uniform pruning is left out.
  const auto bytes = parse_budget("bytes=0.5", "--target");
  EXPECT_TRUE(uniform_plans(evaluator, {TuneMethod::Prune}, bytes).empty());
  try {
    allocate_budget(evaluator, *curves, {TuneMethod::Prune}, bytes, "--target");
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("--target: bytes=0.5 needs a method that reduces bytes"),
              std::string::npos)
        << e.what();
  }
  EXPECT_THROW(check_budget_methods(parse_budget("macs=0.5", "t"), {TuneMethod::Quant}, "t"),
               InputError);
  EXPECT_NO_THROW(check_budget_methods(bytes, {TuneMethod::Prune, TuneMethod::Quant}, "t"));
  EXPECT_THROW(allocate_budget(evaluator, *curves, all, parse_budget("params=0.001", "t"), "t"),
               InputError);
}

TEST_F(TuneTest, APlanBecomesAFineTunedChildRunThatKeepsThePlan) {
  PlanEvaluator evaluator(store_, std::to_string(run_), 50);
  CompressionPlan plan;
  plan.layers[evaluator.layers()[1].name].sparsity = 0.7;
  RunObserver quiet;
  RunControl control;
  auto outcome = run_plan(store_, std::to_string(run_), plan, 20, quiet, control, "--apply");
  ASSERT_EQ(outcome.result.status, RunStatus::Finished) << outcome.error;
  EXPECT_EQ(outcome.result.steps, 20);
  RunStore store(store_, RunStore::Access::ReadOnly);
  auto row = store.find_run(std::to_string(outcome.run_id));
  EXPECT_EQ(row.parent_id, run_);
  EXPECT_EQ(row.name, "tune-spirals-tuned");
  EXPECT_EQ(row.kind, "prune+plan");
  EXPECT_EQ(plan_from_json(nlohmann::json::parse(row.spec_json)["plan"]), plan);
  nlohmann::json summary;
  for (const auto& e : store.events(outcome.run_id))
    if (e.kind == "summary") summary = nlohmann::json::parse(e.payload_json);
  ASSERT_TRUE(summary.contains("plan")) << summary.dump();
  EXPECT_EQ(summary["plan"]["layers"][0]["setting"], "sparsity 0.70");
  // A "plan" section without the method that does the work is refused by field.
  auto spec = spirals_spec();
  spec["plan"] = plan_to_json(plan);
  RunObserver observer;
  try {
    run_experiment(spec_from_json(spec), dir_->file("other.sqlite"), observer, control);
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("no \"prune\" section"), std::string::npos) << e.what();
  }
  // A compressed run is not a starting point: Tune names the run it came from.
  try {
    PlanEvaluator(store_, std::to_string(outcome.run_id));
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("already compressed (prune+plan)"), std::string::npos)
        << e.what();
    EXPECT_NE(std::string(e.what()).find("tune run " + std::to_string(run_)), std::string::npos)
        << e.what();
  }
  plan.layers[evaluator.layers()[1].name].bits = 4;
  EXPECT_THROW(plan_spec(store_, std::to_string(run_), plan, 20, "--apply"), InputError);
  EXPECT_THROW(plan_spec(store_, std::to_string(run_), {}, 20, "--apply"), InputError);
  CompressionPlan factorised;
  factorised.layers[evaluator.layers()[1].name].rank = 6;
  auto lowrank = plan_spec(store_, std::to_string(run_), factorised, 5, "--apply");
  EXPECT_EQ(lowrank.method_sections.count("lowrank"), 1u);
  EXPECT_EQ(lowrank.method_sections.count("plan"), 1u);
}

TEST(TuneCnnTest, CachedFeatureMapsGiveTheFiguresOfAFreshEvaluation) {
  TempDir dir;
  const auto store = dir.file("runs.sqlite");
  nlohmann::json j = {
      {"name", "tune-cnn"},
      {"seed", 2},
      {"data",
       {{"dataset", "fashion-mnist"},
        {"train_subset", 600},
        {"test_subset", 200},
        {"batch_size", 50}}},
      {"model", {{"kind", "cnn"}, {"channels", {4, 6}}, {"kernel_size", 3}, {"fc_hidden", 16}}},
      {"schedule", {{"steps", 12}}}};
  RunObserver quiet;
  RunControl control;
  auto outcome = run_experiment(spec_from_json(j), store, quiet, control);
  ASSERT_EQ(outcome.result.status, RunStatus::Finished) << outcome.error;
  const std::string run = std::to_string(outcome.run_id);
  PlanEvaluator evaluator(store, run, 60);
  ASSERT_EQ(evaluator.layers().size(), 4u);  // features.0, features.3, fc, out.
  // A sequence that changes the head only, then a convolution, then the head again.
  std::vector<CompressionPlan> plans(4);
  plans[1].layers["fc"].sparsity = 0.5;
  plans[2].layers["fc"].sparsity = 0.5;
  plans[2].layers[evaluator.layers()[1].name].bits = 3;
  plans[3].layers["fc"].rank = 2;
  plans[3].layers[evaluator.layers()[1].name].bits = 3;
  for (const auto& plan : plans) {
    const auto cached = evaluator.evaluate(plan);
    PlanEvaluator fresh(store, run, 60);
    const auto expected = fresh.evaluate(plan);
    EXPECT_EQ(cached->loss, expected->loss);
    EXPECT_EQ(cached->accuracy, expected->accuracy);
  }
}
