// Weight quantisation as a method, through the registry only: its section refuses bad input by
// field, a quantised layer computes with exactly LibTorch's fake-quantised weight and passes the
// straight-through gradient, and a run from a finished run reports the float, post-training
// quantised and trained accuracies, and resumes exactly.
#include <gtest/gtest.h>

#include <torch/torch.h>
#include <nlohmann/json.hpp>

#include <filesystem>

#include "data/dataset.h"
#include "models/layer_surgery.h"
#include "models/model_factory.h"
#include "quant/quant_layers.h"
#include "quant/quant_method.h"
#include "spec/experiment_spec.h"
#include "store/run_store.h"
#include "test_files.h"
#include "train/run_session.h"
#include "util/input_error.h"

using namespace slimlab;
using namespace slimlab::testing;

namespace {

nlohmann::json spirals_spec() {
  return {
      {"name", "quant-spirals"},
      {"seed", 4},
      {"data", {{"dataset", "spirals"}, {"points", 900}, {"batch_size", 50}}},
      {"model", {{"kind", "mlp"}, {"hidden", {32, 24}}}},
      {"optimizer", {{"lr", 0.01}}},
      {"schedule", {{"epochs", 4}, {"log_interval_steps", 5}, {"checkpoint_interval_steps", 8}}}};
}

std::string refusal(nlohmann::json quant, const std::string& store = "") {
  auto j = spirals_spec();
  j["quant"] = std::move(quant);
  try {
    auto spec = spec_from_json(j);
    if (store.empty()) return "";
    RunObserver quiet;
    RunControl control;
    control.stop = true;
    run_experiment(spec, store, quiet, control);
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

nlohmann::json last_summary(const std::string& path, int64_t run) {
  RunStore store(path, RunStore::Access::ReadOnly);
  nlohmann::json last;
  for (const auto& e : store.events(run)) {
    if (e.kind == "summary") last = nlohmann::json::parse(e.payload_json);
  }
  return last;
}

}  // namespace

TEST(QuantSpecTest, BadInputIsRefusedNamingTheField) {
  EXPECT_NE(refusal({{"bits", 9}}).find("quant.bits: must be between 2 and 8, got 9"),
            std::string::npos);
  EXPECT_NE(refusal({{"bits", 1}}).find("quant.bits"), std::string::npos);
  EXPECT_NE(refusal({{"layer_bits", {{"layers.0", 1}}}}).find("quant.layer_bits.layers.0"),
            std::string::npos);
  EXPECT_NE(refusal({{"layer_bits", {{"layers.0", 4.5}}}}).find("whole number"), std::string::npos);
  EXPECT_NE(refusal({{"observer", "max"}})
                .find("quant.observer: must be one of min-max, "
                      "percentile, mse"),
            std::string::npos);
  EXPECT_NE(refusal({{"granularity", "per-row"}}).find("quant.granularity"), std::string::npos);
  EXPECT_NE(refusal({{"percentile", 40}}).find("quant.percentile: must be between 50 and 100"),
            std::string::npos);
  EXPECT_NE(refusal({{"percentile", 50}}).find("quant.percentile: must be above 50"),
            std::string::npos);
  TempDir dir;
  const auto store = dir.file("runs.sqlite");
  EXPECT_NE(refusal({{"layers", {"layers.1"}}}, store)
                .find("quant.layers[0]: layer \"layers.1\" (torch::nn::ReLUImpl) cannot be "
                      "quantised"),
            std::string::npos);
  EXPECT_NE(refusal({{"layers", {"layers.0"}}, {"layer_bits", {{"layers.2", 4}}}}, store)
                .find("quant.layer_bits.layers.2: not a layer being quantised"),
            std::string::npos);
  EXPECT_NE(refusal({{"from_run", "none-such"}}, store).find("quant.from_run"), std::string::npos);
  EXPECT_NE(refusal({{"layers", {"layers.2", "layers.2"}}}, store).find("listed twice"),
            std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(store));  // Nothing stored.
}

TEST(QuantLayerTest, ComputesWithLibTorchsFakeQuantisedWeightAndPassesTheStraightThroughGradient) {
  torch::manual_seed(6);
  torch::nn::Linear dense(12, 5);
  WeightQuantizer q;
  q.bits = 4;
  QuantLinear layer(*dense, q);
  EXPECT_TRUE(layer->weight.is_same(dense->weight));  // The optimiser keeps training it.
  auto params = q.params_for(dense->weight.detach());
  auto oracle = torch::fake_quantize_per_channel_affine(dense->weight.detach(), params.scale,
                                                        params.zero_point, 0, -7, 7);
  auto x = torch::randn({9, 12});
  auto y = layer->forward(x);
  auto expected = torch::nn::functional::linear(x, oracle, dense->bias.detach());
  EXPECT_LT((y - expected).abs().max().item<double>(), 1e-5);
  // Min-max per channel clips nothing: the weight's gradient is the float layer's, x^T g.
  auto g = torch::randn({9, 5});
  y.backward(g);
  EXPECT_LT((layer->weight.grad() - g.t().matmul(x)).abs().max().item<double>(), 1e-5);
  // After an update the range follows the weight.
  {
    torch::NoGradGuard no_grad;
    layer->weight.mul_(2);
  }
  auto again = q.params_for(layer->weight.detach());
  EXPECT_LT((layer->quantized_weight() -
             torch::fake_quantize_per_channel_affine(layer->weight.detach(), again.scale,
                                                     again.zero_point, 0, -7, 7))
                .abs()
                .max()
                .item<double>(),
            1e-6);
}

TEST(QuantRunTest, FromAFinishedRunReportsFloatPostTrainingAndTrainedAccuracyAndResumesExactly) {
  TempDir dir;
  const auto path = dir.file("runs.sqlite");
  RunObserver quiet;
  RunControl go;
  auto dense = run_experiment(spec_from_json(spirals_spec()), path, quiet, go);
  ASSERT_EQ(dense.result.status, RunStatus::Finished) << dense.error;
  auto j = spirals_spec();
  j["name"] = "quantised";
  j["schedule"]["epochs"] = 2;
  j["quant"] = {{"bits", 3}, {"from_run", "quant-spirals"}, {"layer_bits", {{"layers.4", 8}}}};
  auto whole = run_experiment(spec_from_json(j), path, quiet, go);
  ASSERT_EQ(whole.result.status, RunStatus::Finished) << whole.error;
  auto summary = last_summary(path, whole.run_id)["quant"];
  ASSERT_EQ(summary["layers"].size(), 3u) << summary.dump();
  EXPECT_EQ(summary["layers"][2]["bits"], 8);
  EXPECT_EQ(summary["default_bits"], 3);
  EXPECT_EQ(summary["observer"], "min-max");
  EXPECT_EQ(summary["layers"][0]["bits"], 3);
  EXPECT_DOUBLE_EQ(summary["float_test_accuracy"].get<double>(), dense.result.test_accuracy);
  EXPECT_GE(summary["ptq_test_accuracy"].get<double>(), 0.0);
  EXPECT_NEAR(summary["accuracy_drop_points"].get<double>(),
              100 * (dense.result.test_accuracy - whole.result.test_accuracy), 1e-9);
  // 8 bits keep more of a weight than 3 (about 6 dB per bit).
  EXPECT_GT(summary["layers"][2]["sqnr_db"].get<double>(),
            summary["layers"][1]["sqnr_db"].get<double>() + 15);
  EXPECT_LT(summary["bytes_quantized"].get<int64_t>(), summary["bytes_float"].get<int64_t>());
  RunStore store(path, RunStore::Access::ReadOnly);
  EXPECT_EQ(store.get_run(whole.run_id).kind, "quant");
  EXPECT_EQ(store.get_run(whole.run_id).parent_id, dense.run_id);

  RunControl control;
  struct StopAfter : RunObserver {
    RunControl& c;
    explicit StopAfter(RunControl& c) : c(c) {}
    void on_step(const StepRecord& r) override { c.stop = r.step >= 12; }
  } stopper(control);
  auto stopped = run_experiment(spec_from_json(j), path, stopper, control);
  ASSERT_EQ(stopped.result.status, RunStatus::Cancelled);
  RunControl again;
  auto resumed = resume_experiment(path, std::to_string(stopped.run_id), quiet, again);
  ASSERT_EQ(resumed.result.status, RunStatus::Finished) << resumed.error;
  EXPECT_EQ(resumed.result.test_loss, whole.result.test_loss);
  EXPECT_EQ(resumed.result.test_accuracy, whole.result.test_accuracy);
}
