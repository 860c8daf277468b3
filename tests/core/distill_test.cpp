// Knowledge distillation: golden values for the losses, teachers from every source, and the
// refusal of corrupt or mismatched teacher files.
#include <gtest/gtest.h>

#include <torch/script.h>
#include <torch/torch.h>

#include <cmath>

#include "distill/distill_method.h"
#include "distill/distiller.h"
#include "distill/kd_loss.h"
#include "distill/safetensors.h"
#include "distill/teacher.h"
#include "models/features.h"
#include "models/model_factory.h"
#include "test_files.h"
#include "train/trainer.h"
#include "util/input_error.h"

using namespace slimlab;
using namespace slimlab::testing;

namespace {

template <typename F>
std::string input_error(F&& f) {
  try {
    f();
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

ModelSpec small_mlp() {
  ModelSpec m;
  m.mlp.hidden({8});
  return m;
}

/// A teacher whose logits are zeros but for a NaN in row `bad_row`.
struct NanAtRow : Teacher {
  explicit NanAtRow(int64_t bad_row) : bad_row(bad_row) {}
  torch::Tensor logits(const torch::Tensor& x) override {
    auto z = torch::zeros({x.size(0), 3});
    // x holds each example's index, so the NaN follows the example through any batching.
    auto rows = x.select(1, 0).eq(double(bad_row)).nonzero();
    if (rows.size(0) > 0) z[rows[0][0].item<int64_t>()][1] = NAN;
    return z;
  }
  std::string description() const override { return "safetensors t.safetensors"; }
  int64_t params() const override { return 0; }
  int64_t bad_row;
};

}  // namespace

TEST(KdLossTest, ZeroWhenStudentEqualsTeacher) {
  auto z = torch::tensor({{1.0, 2.0, 3.0}, {0.5, -1.0, 0.0}}, torch::kFloat64);
  for (double t : {1.0, 4.0, 20.0}) {
    EXPECT_NEAR(kd_kl(z, soft_targets(z, t), t).item<double>(), 0.0, 1e-12) << "T=" << t;
  }
  EXPECT_NEAR(logit_mse(z, z).item<double>(), 0.0, 1e-15);
}

TEST(KdLossTest, KlMatchesDirectComputationAndTSquaredScalesExactly) {
  auto student = torch::tensor({{2.0, 0.0}}, torch::kFloat64);
  auto teacher = torch::tensor({{0.0, 1.0}}, torch::kFloat64);
  const double t = 2.0;
  // p_t(2) = softmax([0, 0.5]), p_s(2) = softmax([1, 0]).
  double pt1 = 1.0 / (1.0 + std::exp(0.5)), pt2 = 1.0 - pt1;
  double ps1 = 1.0 / (1.0 + std::exp(-1.0)), ps2 = 1.0 - ps1;
  double kl = pt1 * std::log(pt1 / ps1) + pt2 * std::log(pt2 / ps2);
  auto probs = soft_targets(teacher, t);
  EXPECT_NEAR(kd_kl(student, probs, t).item<double>(), kl, 1e-12);
  EXPECT_NEAR(hinton_soft_loss(student, probs, t, /*t_squared=*/true).item<double>(), 4.0 * kl,
              1e-12);
  EXPECT_NEAR(hinton_soft_loss(student, probs, t, /*t_squared=*/false).item<double>(), kl, 1e-12);
  EXPECT_NEAR(logit_mse(student, teacher).item<double>(), 4.0 + 1.0, 1e-12);
}

TEST(KdLossTest, Schedules) {
  EXPECT_DOUBLE_EQ(scheduled(ScheduleKind::Constant, 4, 1, 0.7), 4);
  EXPECT_DOUBLE_EQ(scheduled(ScheduleKind::Linear, 4, 1, 0.5), 2.5);
  EXPECT_DOUBLE_EQ(scheduled(ScheduleKind::Cosine, 4, 1, 0.0), 4);
  EXPECT_DOUBLE_EQ(scheduled(ScheduleKind::Cosine, 4, 1, 1.0), 1);
  EXPECT_NEAR(scheduled(ScheduleKind::Cosine, 4, 1, 0.5), 2.5, 1e-12);
  EXPECT_DOUBLE_EQ(scheduled(ScheduleKind::Linear, 4, 1, 3.0), 1);  // Clamped.
}

TEST(DistillerTest, GradientsReachTheStudentNeverTheTeacher) {
  torch::manual_seed(1);
  auto teacher_model = make_model(small_mlp(), {4}, 3);
  auto teacher_params = teacher_model.ptr()->parameters();
  DistillOptions options;
  options.teachers.resize(1);
  options.logit_mse = 0.5;
  options.cache_teacher_logits = false;
  std::vector<std::unique_ptr<Teacher>> teachers;
  teachers.push_back(teacher_from_module(teacher_model, "t"));
  Distiller distiller(options, std::move(teachers));
  auto student = make_model(small_mlp(), {4}, 3);
  auto x = torch::randn({6, 4});
  auto y = torch::tensor({0, 1, 2, 0, 1, 2}, torch::kInt64);
  auto logits = student.forward(x);
  auto loss =
      distiller.loss(logits, torch::cross_entropy_loss(logits, y), {}, x, y, torch::arange(6), 0.0);
  loss.total.backward();
  for (const auto& p : student.ptr()->parameters()) {
    ASSERT_TRUE(p.grad().defined());
    EXPECT_GT(p.grad().abs().sum().item<double>(), 0.0);
  }
  for (const auto& p : teacher_params) {
    EXPECT_FALSE(p.requires_grad());
    EXPECT_FALSE(p.grad().defined());
  }
  EXPECT_NEAR(loss.hard + loss.soft + loss.mse, loss.total.item<double>(), 1e-5);
  EXPECT_NEAR(loss.alpha, 0.7, 1e-12);
}

TEST(DistillerTest, SeveralTeachersAverageTheirSoftTargetsByWeight) {
  // Two constant teachers: [10, 0] (weight 3) and [0, 10] (weight 1); at T = 1 the averaged
  // target is ~[0.75, 0.25], and a student predicting exactly that has KL ~ 0.
  struct Constant : Teacher {
    explicit Constant(torch::Tensor z) : z(z) {}
    torch::Tensor logits(const torch::Tensor& x) override { return z.expand({x.size(0), 2}); }
    std::string description() const override { return "constant"; }
    int64_t params() const override { return 0; }
    torch::Tensor z;
  };
  DistillOptions options;
  options.teachers.resize(2);
  options.teachers[0].weight = 3;
  options.teachers[1].weight = 1;
  options.temperature = 1.0;
  options.alpha = 1.0;
  options.cache_teacher_logits = false;
  std::vector<std::unique_ptr<Teacher>> teachers;
  teachers.push_back(std::make_unique<Constant>(torch::tensor({{30.0, 0.0}})));
  teachers.push_back(std::make_unique<Constant>(torch::tensor({{0.0, 30.0}})));
  Distiller distiller(options, std::move(teachers));
  auto x = torch::zeros({4, 1});
  auto student = torch::log(torch::tensor({{0.75, 0.25}})).expand({4, 2});
  auto loss = distiller.loss(student, torch::zeros({}), {}, x, torch::zeros({4}, torch::kInt64),
                             torch::arange(4), 0);
  EXPECT_NEAR(loss.soft, 0.0, 1e-6);
}

TEST(TeacherTest, SafetensorsTeacherLoadsWeightsAndNamesMismatches) {
  TempDir dir;
  torch::manual_seed(2);
  auto model = make_model(small_mlp(), {4}, 3);
  std::map<std::string, torch::Tensor> weights;
  for (const auto& p : model.ptr()->named_parameters()) weights[p.key()] = p.value().detach();
  write_safetensors(dir.file("ok.safetensors"), weights);
  auto teacher = teacher_from_safetensors(dir.file("ok.safetensors"), small_mlp(), {4}, 3);
  auto x = torch::randn({5, 4});
  EXPECT_TRUE(torch::allclose(teacher->logits(x), model.forward(x).detach()));

  weights.erase("layers.0.bias");
  weights["layers.2.weight"] = torch::zeros({3, 9});
  write_safetensors(dir.file("bad.safetensors"), weights);
  auto message = input_error(
      [&] { teacher_from_safetensors(dir.file("bad.safetensors"), small_mlp(), {4}, 3); });
  EXPECT_NE(message.find("bad.safetensors: does not fit"), std::string::npos) << message;
  EXPECT_NE(message.find("missing layers.0.bias"), std::string::npos) << message;
  EXPECT_NE(message.find("layers.2.weight is [3, 9], the model needs [3, 8]"), std::string::npos)
      << message;
}

TEST(TeacherTest, TorchScriptTeacherMadeWithLibTorch) {
  // The test makes its own TorchScript file: a linear map defined in TorchScript source.
  TempDir dir;
  torch::jit::Module module("Teacher");
  module.register_parameter("weight", torch::randn({3, 4}), false);
  module.define(R"(
def forward(self, x):
    return torch.matmul(x.flatten(1), self.weight.t())
)");
  module.save(dir.file("teacher.pt"));
  auto teacher = teacher_from_torchscript(dir.file("teacher.pt"), {4}, 3);
  auto x = torch::randn({2, 4});
  EXPECT_EQ(teacher->logits(x).sizes(), (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(teacher->params(), 12);

  auto wrong_classes =
      input_error([&] { teacher_from_torchscript(dir.file("teacher.pt"), {4}, 10); });
  EXPECT_NE(wrong_classes.find("returns shape [1, 3]"), std::string::npos) << wrong_classes;
  auto wrong_input = input_error([&] { teacher_from_torchscript(dir.file("teacher.pt"), {5}, 3); });
  EXPECT_NE(wrong_input.find("fails on an input of shape [1, 5]"), std::string::npos)
      << wrong_input;
  write_file(dir.file("fake.pt"), "this is not a zip archive");
  auto fake = input_error([&] { teacher_from_torchscript(dir.file("fake.pt"), {4}, 3); });
  EXPECT_NE(fake.find("fake.pt: not a TorchScript file"), std::string::npos) << fake;
}

TEST(DistillerTest, FeatureHintProjectionHasTheRightShapesAndTrains) {
  torch::manual_seed(4);
  ModelSpec teacher_spec;
  teacher_spec.mlp.hidden({12});
  auto teacher_model = make_model(teacher_spec, {4}, 3);
  DistillOptions options;
  options.teachers.resize(1);
  options.hints.push_back(HintOptions{});
  options.alpha = 0.0;  // Only the hard CE and the hint.
  std::vector<std::unique_ptr<Teacher>> teachers;
  teachers.push_back(teacher_from_module(teacher_model, "t"));
  Distiller distiller(options, std::move(teachers));
  auto student = make_model(small_mlp(), {4}, 3);  // Penultimate width 8.
  DataSplits data;
  data.train = {torch::randn({64, 4}), torch::randint(0, 3, {64}, torch::kInt64)};
  distiller.prepare(data, *student.ptr());
  auto params = distiller.projections().parameters();
  ASSERT_EQ(params.size(), 2u);
  EXPECT_EQ(params[0].sizes(), (std::vector<int64_t>{12, 8}));  // Student 8 -> teacher 12.

  std::vector<torch::Tensor> all = student.ptr()->parameters();
  all.insert(all.end(), params.begin(), params.end());
  torch::optim::Adam adam(all, torch::optim::AdamOptions(0.01));
  double first = 0, last = 0;
  for (int step = 0; step < 200; ++step) {
    adam.zero_grad();
    std::vector<torch::Tensor> features;
    auto logits = forward_with_features(*student.ptr(), data.train.x, features, {"penultimate"});
    auto ce = torch::cross_entropy_loss(logits, data.train.y);
    auto loss =
        distiller.loss(logits, ce, features, data.train.x, data.train.y, torch::arange(64), 0);
    loss.total.backward();
    adam.step();
    if (step == 0) first = loss.hint;
    last = loss.hint;
  }
  EXPECT_LT(last, 0.2 * first) << "hint loss " << first << " -> " << last;
}

TEST(DistillerTest, HintsNeedASlimLabTeacher) {
  struct Opaque : Teacher {
    torch::Tensor logits(const torch::Tensor& x) override { return torch::zeros({x.size(0), 3}); }
    std::string description() const override { return "TorchScript t.pt"; }
    int64_t params() const override { return 0; }
  };
  DistillOptions options;
  options.teachers.resize(1);
  options.hints.push_back(HintOptions{});
  std::vector<std::unique_ptr<Teacher>> teachers;
  teachers.push_back(std::make_unique<Opaque>());
  Distiller distiller(options, std::move(teachers));
  auto student = make_model(small_mlp(), {4}, 3);
  DataSplits data;
  data.train = {torch::randn({8, 4}), torch::zeros({8}, torch::kInt64)};
  auto message = input_error([&] { distiller.prepare(data, *student.ptr()); });
  EXPECT_NE(message.find("feature hints need a SlimLab teacher"), std::string::npos) << message;
}

TEST(FeaturesTest, NamedLayersOfEveryModel) {
  torch::manual_seed(9);
  struct Case {
    ModelSpec spec;
    std::vector<int64_t> shape;
    std::string layer;
    int64_t width;
  };
  ModelSpec mlp;
  mlp.mlp.hidden({16, 8}).dropout(0.1);
  ModelSpec cnn;
  cnn.kind = ModelKind::Cnn;
  cnn.cnn.channels({4, 6}).kernel_size(3).fc_hidden(10);
  ModelSpec vit;
  vit.kind = ModelKind::Vit;
  vit.vit.patch_size(7).dim(16).heads(2);
  ModelSpec moe;
  moe.kind = ModelKind::MoeMlp;
  moe.moe_mlp.width(12).moe(MoeOptions(2).hidden(4).top_k(1));
  for (const auto& c :
       {Case{mlp, {1, 28, 28}, "hidden0", 16}, Case{mlp, {1, 28, 28}, "hidden1", 8},
        Case{mlp, {1, 28, 28}, "penultimate", 8}, Case{cnn, {1, 28, 28}, "conv1", 6 * 7 * 7},
        Case{cnn, {1, 28, 28}, "fc", 10}, Case{vit, {1, 28, 28}, "block1", 16},
        Case{moe, {1, 28, 28}, "input", 12}}) {
    SCOPED_TRACE(c.layer);
    auto model = make_model(c.spec, c.shape, 3);
    model.ptr()->eval();
    std::vector<int64_t> shape = {2};
    shape.insert(shape.end(), c.shape.begin(), c.shape.end());
    auto x = torch::randn(shape);
    torch::Tensor features;
    auto logits = forward_with_features(*model.ptr(), x, features, c.layer);
    EXPECT_EQ(features.sizes(), (std::vector<int64_t>{2, c.width}));
    EXPECT_TRUE(torch::allclose(logits, model.forward(x)));  // Same function as forward().
  }
  auto model = make_model(mlp, {1, 28, 28}, 3);
  torch::Tensor features;
  try {
    forward_with_features(*model.ptr(), torch::zeros({1, 1, 28, 28}), features, "conv0");
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("this model has: hidden0, hidden1, penultimate"),
              std::string::npos)
        << e.what();
  }
}

namespace {

/// Stops a run once `at` steps are done.
struct StopAt : TrainObserver {
  StopAt(RunControl& c, int64_t at) : control(c), at(at) {}
  void on_step(const StepRecord& r) override {
    if (r.step >= at) control.stop = true;
  }
  void on_checkpoint(const CheckpointRecord& r) override { last = r.bytes; }
  RunControl& control;
  int64_t at;
  std::string last;
};

ExperimentSpec student_spec(ModelSpec model) {
  ExperimentSpec spec;
  spec.seed = 4;
  spec.data.dataset = DatasetKind::Moons;
  spec.data.points = 600;
  spec.data.batch_size = 40;
  spec.model = model;
  spec.schedule.epochs = 4;
  spec.schedule.log_interval_steps = 5;
  spec.has_distill = true;
  spec.distill.teachers.resize(1);
  spec.distill.hints.push_back(HintOptions{});
  return spec;
}

std::unique_ptr<Distiller> moons_distiller(const ExperimentSpec& spec, const DataSplits& data) {
  torch::manual_seed(77);  // The teacher is the same network every time.
  ModelSpec teacher;
  teacher.mlp.hidden({24});
  std::vector<std::unique_ptr<Teacher>> teachers;
  teachers.push_back(
      teacher_from_module(make_model(teacher, data.sample_shape, data.classes), "t"));
  return std::make_unique<Distiller>(spec.distill, std::move(teachers));
}

}  // namespace

TEST(DistillerTest, ResumeWithHintsAndMoeMatchesAnUnbrokenRun) {
  ModelSpec moe;
  moe.kind = ModelKind::MoeMlp;
  moe.moe_mlp.width(16).moe(MoeOptions(4).hidden(8).top_k(2));
  for (const auto& model : {small_mlp(), moe}) {
    auto spec = student_spec(model);
    SCOPED_TRACE(model_name(model.kind));
    TrainResult reference;
    {
      Trainer trainer(spec, load_data(spec.data, spec.seed));
      trainer.add_method(std::make_unique<DistillMethod>(moons_distiller(spec, trainer.data())));
      RunControl control;
      TrainObserver quiet;
      reference = trainer.run(quiet, control);
    }
    RunControl control;
    StopAt stopper(control, 23);
    {
      Trainer trainer(spec, load_data(spec.data, spec.seed));
      trainer.add_method(std::make_unique<DistillMethod>(moons_distiller(spec, trainer.data())));
      ASSERT_EQ(trainer.run(stopper, control).status, RunStatus::Cancelled);
    }
    torch::manual_seed(999);
    Trainer resumed(spec, load_data(spec.data, spec.seed));
    resumed.add_method(std::make_unique<DistillMethod>(moons_distiller(spec, resumed.data())));
    resumed.restore(stopper.last);
    RunControl go;
    TrainObserver quiet;
    auto result = resumed.run(quiet, go);
    ASSERT_EQ(result.status, RunStatus::Finished);
    EXPECT_NEAR(result.test_loss, reference.test_loss, 1e-6);
  }
}

TEST(TeacherTest, NonFiniteWeightsAreRefusedAtLoadFromEverySource) {
  TempDir dir;
  torch::manual_seed(3);
  // Safetensors: the file and the tensor named.
  auto model = make_model(small_mlp(), {4}, 3);
  std::map<std::string, torch::Tensor> weights;
  for (const auto& p : model.ptr()->named_parameters()) weights[p.key()] = p.value().detach();
  weights["layers.0.bias"] = weights["layers.0.bias"].clone();
  weights["layers.0.bias"][1] = NAN;
  weights["layers.0.bias"][2] = INFINITY;
  write_safetensors(dir.file("nan.safetensors"), weights);
  auto message = input_error(
      [&] { teacher_from_safetensors(dir.file("nan.safetensors"), small_mlp(), {4}, 3); });
  EXPECT_NE(message.find(dir.file("nan.safetensors") +
                         R"(: tensor "layers.0.bias" holds 2 non-finite values (NaN/Inf))"),
            std::string::npos)
      << message;

  // A stored run's network: the run and the parameter named.
  {
    torch::NoGradGuard no_grad;
    model.ptr()->named_parameters()["layers.2.weight"][0][0] = INFINITY;
  }
  message = input_error([&] { teacher_from_module(model, "run 3 (mlp-moons)"); });
  EXPECT_NE(message.find(R"(teacher run 3 (mlp-moons): parameter "layers.2.weight" holds 1 )"),
            std::string::npos)
      << message;

  // TorchScript: parameters and buffers, by name.
  torch::jit::Module module("Teacher");
  module.register_parameter("weight", torch::randn({3, 4}), false);
  module.register_buffer("scale", torch::tensor({1.0f, NAN}));
  module.define(R"(
def forward(self, x):
    return torch.matmul(x.flatten(1), self.weight.t())
)");
  module.save(dir.file("nan.pt"));
  message = input_error([&] { teacher_from_torchscript(dir.file("nan.pt"), {4}, 3); });
  EXPECT_NE(message.find(dir.file("nan.pt") + R"(: buffer "scale" holds 1 non-finite)"),
            std::string::npos)
      << message;
}

TEST(DistillerTest, NonFiniteTeacherLogitsAreRefusedNamingTheTeacherAndExample) {
  DataSplits data;
  data.train = {torch::arange(2500, torch::kFloat32).unsqueeze(1),  // x = the example's index.
                torch::zeros({2500}, torch::kInt64)};
  auto student = make_model(small_mlp(), {1}, 3);
  for (bool cached : {true, false}) {
    SCOPED_TRACE(cached ? "cached" : "per batch");
    DistillOptions options;
    options.teachers.resize(1);
    options.cache_teacher_logits = cached;
    std::vector<std::unique_ptr<Teacher>> teachers;
    teachers.push_back(std::make_unique<NanAtRow>(1717));  // In the second batch of 1000.
    Distiller distiller(options, std::move(teachers));
    auto message = input_error([&] {
      distiller.prepare(data, *student.ptr());
      auto index = torch::tensor({4, 1717, 9}, torch::kInt64);
      auto x = data.train.x.index_select(0, index);
      auto y = data.train.y.index_select(0, index);
      auto logits = student.forward(x);
      distiller.loss(logits, torch::cross_entropy_loss(logits, y), {}, x, y, index, 0);
    });
    EXPECT_NE(message.find("teacher safetensors t.safetensors: logits are NaN/Inf for training "
                           "example 1717"),
              std::string::npos)
        << message;
  }
}
