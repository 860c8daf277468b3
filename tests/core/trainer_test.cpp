#include <gtest/gtest.h>

#include <torch/torch.h>

#include <algorithm>
#include <atomic>
#include <functional>
#include <limits>
#include <thread>

#include "models/model_factory.h"
#include "moe/moe_options.h"
#include "train/trainer.h"
#include "train_recorder.h"

using namespace slimlab;
using slimlab::testing::Recorder;
using slimlab::testing::StopAt;

namespace {

ExperimentSpec tiny_spec() {
  ExperimentSpec spec;
  spec.name = "tiny";
  spec.seed = 3;
  spec.data.dataset = DatasetKind::Moons;
  spec.data.points = 600;
  spec.data.test_points = 300;
  spec.data.batch_size = 32;
  spec.data.validation_share = 0.1;
  spec.model.mlp.hidden({32, 32}).dropout(0.1);  // Dropout: resume must restore the RNG too.
  spec.optimizer.lr = 0.01;
  spec.schedule.epochs = 8;
  spec.schedule.log_interval_steps = 5;
  return spec;
}

TrainResult train(const ExperimentSpec& spec, Recorder& recorder) {
  Trainer trainer(spec, load_data(spec.data, spec.seed));
  RunControl control;
  return trainer.run(recorder, control);
}

}  // namespace

TEST(TrainerTest, LearnsMoonsAndReportsEverything) {
  auto spec = tiny_spec();
  Recorder r;
  auto result = train(spec, r);
  EXPECT_EQ(result.status, RunStatus::Finished);
  EXPECT_EQ(result.steps, 8 * 17);  // 540 training examples / 32 per batch = 17 steps per epoch.
  EXPECT_GT(result.test_accuracy, 0.95);
  EXPECT_EQ(result.params, 2 * 32 + 32 + 32 * 32 + 32 + 32 * 2 + 2);
  ASSERT_FALSE(r.steps.empty());
  EXPECT_LT(r.steps.back().loss, r.steps.front().loss);
  EXPECT_EQ(r.evals.back().split, "test");
  EXPECT_EQ(r.evals.back().examples, 300);
  EXPECT_EQ(std::count_if(r.evals.begin(), r.evals.end(),
                          [](const auto& e) { return e.split == "validation"; }),
            8);  // Once per epoch.
  EXPECT_EQ(r.checkpoints.size(), 8u);
}

TEST(TrainerTest, SameSeedSameNumbers) {
  auto spec = tiny_spec();
  Recorder a, b;
  auto ra = train(spec, a);
  auto rb = train(spec, b);
  EXPECT_EQ(ra.test_loss, rb.test_loss);
  EXPECT_EQ(ra.test_accuracy, rb.test_accuracy);
  ASSERT_EQ(a.steps.size(), b.steps.size());
  for (size_t i = 0; i < a.steps.size(); ++i) EXPECT_EQ(a.steps[i].loss, b.steps[i].loss) << i;
}

// The window builds models on pool threads (plane map, weight histogram) while a run trains;
// LibTorch's default generator is shared, so without generator_mutex() their random
// initialisation took numbers out of the run's stream (found by ThreadSanitizer).
TEST(TrainerTest, ModelsBuiltOnAnotherThreadTakeNothingFromTheRunsRandomNumbers) {
  auto spec = tiny_spec();  // Dropout draws at every step.
  Recorder alone, beside;
  auto expected = train(spec, alone);
  std::atomic<bool> done{false};
  std::atomic<int> built{0};
  std::thread loader([&] {
    while (!done) {
      make_model_to_load(spec.model, {2}, 2);
      ++built;
    }
  });
  while (built == 0) std::this_thread::yield();
  const int before = built;
  auto got = train(spec, beside);
  const int during = built - before;
  done = true;
  loader.join();
  EXPECT_GT(during, 10) << "the models must be built while the run trains";
  EXPECT_EQ(got.test_loss, expected.test_loss);
  ASSERT_EQ(beside.steps.size(), alone.steps.size());
  for (size_t i = 0; i < alone.steps.size(); ++i) {
    EXPECT_EQ(beside.steps[i].loss, alone.steps[i].loss) << i;
  }
}

TEST(TrainerTest, ResumeFromCheckpointMatchesUninterruptedRun) {
  auto spec = tiny_spec();
  spec.schedule.checkpoint_interval_steps = 10;
  Recorder full;
  auto reference = train(spec, full);

  // Stop after step 45; the trainer writes a checkpoint at the stop.
  RunControl control;
  StopAt stopped(control, 45);
  TrainResult first;
  {
    Trainer trainer(spec, load_data(spec.data, spec.seed));
    first = trainer.run(stopped, control);
  }
  EXPECT_EQ(first.status, RunStatus::Cancelled);
  ASSERT_FALSE(stopped.checkpoints.empty());
  EXPECT_EQ(stopped.checkpoints.back().step, 45);

  // A fresh process would start with a different random state; scramble it.
  torch::manual_seed(12345);
  Trainer resumed(spec, load_data(spec.data, spec.seed));
  resumed.restore(stopped.checkpoints.back().bytes);
  EXPECT_EQ(resumed.step(), 45);
  RunControl go;
  Recorder rest;
  auto result = resumed.run(rest, go);
  EXPECT_EQ(result.status, RunStatus::Finished);
  EXPECT_NEAR(result.test_loss, reference.test_loss, 1e-6);
  EXPECT_EQ(result.test_accuracy, reference.test_accuracy);
}

TEST(TrainerTest, HugeLearningRateStopsAsDivergedWithStepAndReason) {
  auto spec = tiny_spec();
  spec.optimizer.lr = 1000;
  spec.model.mlp.dropout(0);
  Recorder r;
  auto result = train(spec, r);
  ASSERT_EQ(result.status, RunStatus::Diverged) << "final test loss " << result.test_loss;
  EXPECT_NE(result.error.find("training loss exploded"), std::string::npos) << result.error;
  EXPECT_NE(result.error.find("at step " + std::to_string(result.steps + 1)), std::string::npos)
      << result.error;
  EXPECT_LT(result.steps, 30);
  ASSERT_FALSE(r.events.empty());
  EXPECT_EQ(r.events.back().kind, "diverged");
}

TEST(TrainerTest, NonFiniteInputIsBlamedOnTheDataNotTheLearningRate) {
  auto spec = tiny_spec();
  auto data = load_data(spec.data, spec.seed);
  data.train.x.index_put_({5, 0}, std::numeric_limits<float>::quiet_NaN());  // In epoch 0.
  Trainer trainer(spec, data);
  Recorder r;
  RunControl control;
  auto result = trainer.run(r, control);
  ASSERT_EQ(result.status, RunStatus::Diverged);
  EXPECT_NE(result.error.find("the input batch at step " + std::to_string(result.steps + 1) +
                              " holds non-finite values (data from generated)"),
            std::string::npos)
      << result.error;
  EXPECT_EQ(result.error.find("optimizer.lr"), std::string::npos) << result.error;
  EXPECT_EQ(result.error.find("step " + std::to_string(result.steps) + " "), std::string::npos)
      << "one step number only: " << result.error;
  EXPECT_LE(result.steps, 17);
}

// A model that gives NaN before any update (here: a weight set to NaN before training) is not
// the learning rate's fault, and the message says so with the one step.
TEST(TrainerTest, NonFiniteLossBeforeAnyUpdateIsNotBlamedOnTheLearningRate) {
  auto spec = tiny_spec();
  Trainer trainer(spec, load_data(spec.data, spec.seed));
  {
    torch::NoGradGuard no_grad;
    trainer.module().parameters().front().index_put_({0, 0},
                                                     std::numeric_limits<float>::infinity());
  }
  Recorder r;
  RunControl control;
  auto result = trainer.run(r, control);
  ASSERT_EQ(result.status, RunStatus::Diverged);
  EXPECT_EQ(result.steps, 0);
  const auto first = trainer.module().named_parameters().begin()->key();
  EXPECT_NE(result.error.find("at step 1, before any update; first non-finite tensor: " + first),
            std::string::npos)
      << result.error;
  EXPECT_NE(result.error.find("will not help"), std::string::npos) << result.error;
  EXPECT_EQ(result.error.find("try a smaller"), std::string::npos) << result.error;
}

// Resumed at a step that is not a multiple of the log interval, the run must log at its next log
// step what the unbroken run logs there: the open window's sums (loss, accuracy, the MoE
// auxiliary loss and router statistics) travel in the checkpoint.
TEST(TrainerTest, ResumeMidLogWindowLogsWhatTheUnbrokenRunLogs) {
  auto spec = tiny_spec();
  spec.model.kind = ModelKind::MoeMlp;
  spec.model.moe_mlp.width(16).moe(
      MoeOptions(4).hidden(16).top_k(2).balance_loss(0.01).z_loss(0.001));
  spec.schedule.epochs = 4;
  spec.schedule.log_interval_steps = 5;
  spec.schedule.checkpoint_interval_steps = 7;  // Checkpoints at 7, 14, ..., mid-window.
  Recorder full;
  auto reference = train(spec, full);
  ASSERT_EQ(reference.status, RunStatus::Finished);
  const auto checkpoint = std::find_if(full.checkpoints.begin(), full.checkpoints.end(),
                                       [](const auto& c) { return c.step == 49; });
  ASSERT_NE(checkpoint, full.checkpoints.end());

  torch::manual_seed(999);  // As a fresh process would.
  Trainer resumed(spec, load_data(spec.data, spec.seed));
  resumed.restore(checkpoint->bytes);
  Recorder rest;
  RunControl go;
  auto result = resumed.run(rest, go);
  EXPECT_EQ(result.test_loss, reference.test_loss);

  std::vector<StepRecord> expected;
  for (const auto& r : full.steps) {
    if (r.step > 49) expected.push_back(r);
  }
  ASSERT_EQ(rest.steps.size(), expected.size());
  ASSERT_EQ(rest.steps.front().step, 50);
  for (size_t i = 0; i < expected.size(); ++i) {
    SCOPED_TRACE("step " + std::to_string(expected[i].step));
    EXPECT_EQ(rest.steps[i].loss, expected[i].loss);
    EXPECT_EQ(rest.steps[i].accuracy, expected[i].accuracy);
    EXPECT_EQ(rest.steps[i].aux_loss, expected[i].aux_loss);
  }
  std::vector<RouterRecord> expected_routers;
  for (const auto& r : full.routers) {
    if (r.step > 49) expected_routers.push_back(r);
  }
  ASSERT_EQ(rest.routers.size(), expected_routers.size());
  for (size_t i = 0; i < expected_routers.size(); ++i) {
    SCOPED_TRACE("router at step " + std::to_string(expected_routers[i].step));
    EXPECT_EQ(rest.routers[i].load_share, expected_routers[i].load_share);
    EXPECT_EQ(rest.routers[i].importance, expected_routers[i].importance);
    EXPECT_EQ(rest.routers[i].dropped_share, expected_routers[i].dropped_share);
    EXPECT_EQ(rest.routers[i].balance_loss, expected_routers[i].balance_loss);
    EXPECT_EQ(rest.routers[i].z_loss, expected_routers[i].z_loss);
  }
}

TEST(TrainerTest, RestoreRejectsAnotherModelsCheckpoint) {
  auto spec = tiny_spec();
  Trainer small(spec, load_data(spec.data, spec.seed));
  auto bytes = small.checkpoint();
  spec.model.mlp.hidden({8});
  Trainer other(spec, load_data(spec.data, spec.seed));
  EXPECT_THROW(other.restore(bytes), std::runtime_error);
  EXPECT_THROW(other.restore("not a checkpoint"), std::runtime_error);
}

TEST(ModelsTest, CnnAndMlpShapesAndParameterCounts) {
  ModelSpec cnn;
  cnn.kind = ModelKind::Cnn;
  cnn.cnn.channels({4, 8}).kernel_size(3).fc_hidden(16);
  auto model = make_model(cnn, {1, 28, 28}, 10);
  auto out = model.forward(torch::zeros({2, 1, 28, 28}));
  EXPECT_EQ(out.sizes(), (std::vector<int64_t>{2, 10}));
  // conv 1->4 (3x3) + conv 4->8 (3x3) + fc 8*7*7->16 + fc 16->10
  int64_t expected = (9 * 4 + 4) + (4 * 9 * 8 + 8) + (8 * 49 * 16 + 16) + (16 * 10 + 10);
  EXPECT_EQ(count_parameters(*model.ptr()), expected);
  ModelSpec mlp;
  mlp.mlp.hidden({});
  auto linear = make_model(mlp, {1, 28, 28}, 10);
  EXPECT_EQ(count_parameters(*linear.ptr()), 784 * 10 + 10);
}

TEST(TrainerTest, CheckpointsWithNonFiniteWeightsAreRefusedNamingTheTensor) {
  auto spec = tiny_spec();
  Trainer damaged(spec, load_data(spec.data, spec.seed));
  const auto name = damaged.module().named_parameters().begin()->key();
  {
    torch::NoGradGuard no_grad;
    damaged.module().parameters().front().index_put_({0, 0},
                                                     std::numeric_limits<float>::quiet_NaN());
  }
  const auto bytes = damaged.checkpoint();
  Trainer other(spec, load_data(spec.data, spec.seed));
  for (auto load : {std::function<void()>([&] { other.restore(bytes); }),
                    std::function<void()>([&] { load_model_weights(other.module(), bytes); })}) {
    try {
      load();
      FAIL() << "a NaN weight was loaded";
    } catch (const std::runtime_error& e) {
      EXPECT_NE(std::string(e.what()).find("tensor \"" + name + "\" holds 1 non-finite"),
                std::string::npos)
          << e.what();
    }
  }
}
