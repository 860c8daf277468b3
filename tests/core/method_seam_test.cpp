// The compression-method seam (method/compression_method.h): a method defined only here, in the
// test binary, joins the real trainer through add_method and gets every hook in the documented
// order; its loss term trains the model, its metrics reach the step and evaluation records, its
// events the observer, and its state goes into checkpoints, so a resumed run ends exactly where
// an unbroken one does.
#include <gtest/gtest.h>

#include <torch/torch.h>

#include <memory>
#include <string>
#include <vector>

#include "data/dataset.h"
#include "train/spec_methods.h"
#include "train/trainer.h"
#include "train_recorder.h"

using namespace slimlab;
using slimlab::testing::Recorder;
using slimlab::testing::StopAt;

namespace {

/// An L2 penalty on every weight as a test-only compression method, recording its hook calls.
class L2Probe : public CompressionMethod {
 public:
  explicit L2Probe(double lambda, std::string key = "probe") : lambda_(lambda), key_(key) {}

  const char* key() const override { return key_.c_str(); }
  void prepare(const MethodSetup& setup) override {
    calls.push_back("prepare");
    model_ = &setup.model;
    classes_ = setup.data.classes;
  }
  std::vector<MethodEvent> before_step(int64_t step) override {
    calls.push_back("before_step " + std::to_string(step));
    if (step == 3) return {{"probe", "{\"step\": 3}"}};
    return {};
  }
  void after_forward(const StepBatch& batch, const StepOutputs& outputs) override {
    calls.push_back("after_forward");
    EXPECT_EQ(outputs.logits.sizes(), (std::vector<int64_t>{batch.y.size(0), classes_}));
    EXPECT_EQ(batch.index.size(0), batch.y.size(0));
  }
  torch::Tensor loss(const StepBatch& batch, const StepOutputs& outputs,
                     const torch::Tensor& task_loss, torch::Tensor total,
                     LossTerms& terms) override {
    calls.push_back("loss");
    EXPECT_TRUE(total.is_same(task_loss));  // The first (only) method sees the task loss.
    auto l2 = torch::zeros({});
    for (const auto& p : model_->named_parameters()) {
      if (p.key().find("weight") != std::string::npos) l2 = l2 + p.value().pow(2).sum();
    }
    auto term = lambda_ * l2;
    terms.named.emplace_back("probe L2 penalty", term.item<double>());
    terms.log("probe/l2", term.item<double>());
    return total + term;
  }
  void after_backward() override {
    calls.push_back("after_backward");
    for (const auto& p : model_->parameters()) EXPECT_TRUE(p.grad().defined());
  }
  void after_optimizer_step() override {
    calls.push_back("after_optimizer_step");
    ++steps_seen;
  }
  std::vector<std::pair<std::string, double>> log_metrics(int64_t step) const override {
    return {{"probe/steps_seen", double(steps_seen)}};
  }
  bool wants_eval_logits() const override { return true; }
  std::vector<std::pair<std::string, double>> evaluate(const torch::Tensor& logits,
                                                       const TensorDataset& split,
                                                       const std::string& split_name,
                                                       bool final) override {
    EXPECT_EQ(logits.size(0), split.size());
    return {{"probe_eval_rows", double(logits.size(0))}, {"probe_final", final ? 1.0 : 0.0}};
  }
  void save(torch::serialize::OutputArchive& checkpoint) const override {
    checkpoint.write("probe_steps_seen", torch::tensor(steps_seen, torch::kInt64));
  }
  void load(torch::serialize::InputArchive& checkpoint) override {
    torch::Tensor t;
    checkpoint.read("probe_steps_seen", t);
    steps_seen = t.item<int64_t>();
  }

  std::vector<std::string> calls;
  int64_t steps_seen = 0;

 private:
  double lambda_;
  std::string key_;
  torch::nn::Module* model_ = nullptr;
  int64_t classes_ = 0;
};

ExperimentSpec moons_spec() {
  ExperimentSpec spec;
  spec.name = "seam";
  spec.seed = 5;
  spec.data.dataset = DatasetKind::Moons;
  spec.data.points = 400;
  spec.data.test_points = 200;
  spec.data.batch_size = 32;
  spec.data.validation_share = 0.1;
  spec.model.mlp.hidden({16}).dropout(0.1);  // Dropout: a resume must restore the RNG too.
  spec.optimizer.lr = 0.01;
  spec.schedule.epochs = 4;
  spec.schedule.log_interval_steps = 5;
  // One thread, one kernel: the comparisons below are exact.
  spec.runtime.threads = 1;
  spec.runtime.blas_threads = 1;
  spec.runtime.gemm = GemmKind::OneDnn;
  return spec;
}

double weight_norm(Trainer& trainer) {
  double sum = 0;
  for (const auto& p : trainer.module().named_parameters()) {
    if (p.key().find("weight") != std::string::npos) sum += p.value().pow(2).sum().item<double>();
  }
  return sum;
}

}  // namespace

TEST(MethodSeam, HooksRunInTheDocumentedOrder) {
  auto spec = moons_spec();
  spec.schedule.steps = 2;
  Trainer trainer(spec, load_data(spec.data, spec.seed));
  auto probe = std::make_unique<L2Probe>(1e-3);
  auto* seen = probe.get();
  trainer.add_method(std::move(probe));
  Recorder recorder;
  RunControl control;
  ASSERT_EQ(trainer.run(recorder, control).status, RunStatus::Finished);
  const std::vector<std::string> expected = {
      "prepare",        "before_step 0",        "after_forward",       "loss",
      "after_backward", "after_optimizer_step", "before_step 1",       "after_forward",
      "loss",           "after_backward",       "after_optimizer_step"};
  EXPECT_EQ(seen->calls, expected);
}

TEST(MethodSeam, ALossTermTrainsAndItsFiguresReachEveryRecord) {
  auto spec = moons_spec();
  Recorder plain_records, probe_records;
  RunControl control;
  Trainer plain(spec, load_data(spec.data, spec.seed));
  plain.run(plain_records, control);
  Trainer with_probe(spec, load_data(spec.data, spec.seed));
  with_probe.add_method(std::make_unique<L2Probe>(0.05));
  auto result = with_probe.run(probe_records, control);
  ASSERT_EQ(result.status, RunStatus::Finished);

  // The penalty made the weights smaller than the same run without it.
  EXPECT_LT(weight_norm(with_probe), 0.8 * weight_norm(plain));
  // Step records: the logged term (mean over the window) and the log metric.
  ASSERT_FALSE(probe_records.steps.empty());
  for (const auto& r : probe_records.steps) {
    std::map<std::string, double> extra(r.extra.begin(), r.extra.end());
    ASSERT_TRUE(extra.count("probe/l2")) << "step " << r.step;
    EXPECT_GT(extra["probe/l2"], 0);
    EXPECT_EQ(extra["probe/steps_seen"], double(r.step));
  }
  // Evaluations: the method's figures, with the split's logits; `final` only on the test split.
  ASSERT_FALSE(probe_records.evals.empty());
  for (const auto& e : probe_records.evals) {
    std::map<std::string, double> extra(e.extra.begin(), e.extra.end());
    EXPECT_EQ(extra["probe_eval_rows"], double(e.examples));
    EXPECT_EQ(extra["probe_final"], e.split == "test" ? 1.0 : 0.0);
  }
  // Its event, at the step it was raised.
  int probe_events = 0;
  for (const auto& e : probe_records.events) probe_events += e.kind == "probe" && e.step == 3;
  EXPECT_EQ(probe_events, 1);
  EXPECT_EQ(run_kind(with_probe), "probe");
  EXPECT_EQ(run_kind(plain), "train");
}

TEST(MethodSeam, CheckpointsCarryTheMethodsStateAndAResumeEndsWhereAnUnbrokenRunDoes) {
  auto spec = moons_spec();
  TrainResult unbroken;
  {
    Trainer trainer(spec, load_data(spec.data, spec.seed));
    trainer.add_method(std::make_unique<L2Probe>(0.05));
    Recorder quiet;
    RunControl control;
    unbroken = trainer.run(quiet, control);
  }
  RunControl control;
  StopAt stopper(control, 17);
  {
    Trainer trainer(spec, load_data(spec.data, spec.seed));
    trainer.add_method(std::make_unique<L2Probe>(0.05));
    ASSERT_EQ(trainer.run(stopper, control).status, RunStatus::Cancelled);
  }
  ASSERT_FALSE(stopper.checkpoints.empty());
  torch::manual_seed(12345);  // A resume must not depend on the generator's state before it.
  Trainer resumed(spec, load_data(spec.data, spec.seed));
  auto probe = std::make_unique<L2Probe>(0.05);
  auto* state = probe.get();
  resumed.add_method(std::move(probe));
  resumed.restore(stopper.checkpoints.back().bytes);
  EXPECT_EQ(state->steps_seen, resumed.step());  // Restored from the checkpoint, not 0.
  Recorder quiet;
  RunControl go;
  auto result = resumed.run(quiet, go);
  EXPECT_EQ(result.test_loss, unbroken.test_loss);
  EXPECT_EQ(result.test_accuracy, unbroken.test_accuracy);
  EXPECT_EQ(state->steps_seen, unbroken.steps);
}

TEST(MethodSeam, TheRunKindListsEveryMethodInOrder) {
  auto spec = moons_spec();
  Trainer trainer(spec, load_data(spec.data, spec.seed));
  trainer.add_method(std::make_unique<L2Probe>(0.0, "distill"));
  trainer.add_method(std::make_unique<L2Probe>(0.0, "prune"));
  EXPECT_EQ(run_kind(trainer), "distill+prune");
}
