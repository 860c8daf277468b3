// The one run path (core/train/run_session) against a real store file: what run and resume
// leave behind.
#include <gtest/gtest.h>

#include <set>

#include "store/run_store.h"
#include "test_files.h"
#include "train/run_session.h"
#include "util/input_error.h"

using namespace slimlab;
using namespace slimlab::testing;

namespace {

ExperimentSpec quick_spec() {
  ExperimentSpec spec;
  spec.name = "session";
  spec.seed = 9;
  spec.data.dataset = DatasetKind::Circles;
  spec.data.points = 1200;
  spec.data.batch_size = 50;
  spec.model.mlp.hidden({16});
  spec.optimizer.lr = 0.02;
  spec.schedule.epochs = 6;
  spec.schedule.log_interval_steps = 7;
  spec.schedule.checkpoint_interval_steps = 10;
  return spec;
}

/// Presses "stop" after `at` steps.
struct StopAfter : RunObserver {
  StopAfter(RunControl& c, int64_t at) : control(c), at(at) {}
  void on_step(const StepRecord& r) override {
    if (r.step >= at) control.stop = true;
  }
  RunControl& control;
  int64_t at;
};

}  // namespace

TEST(RunSessionTest, StoresRunMetricsCheckpointsAndSummary) {
  TempDir dir;
  auto path = dir.file("runs.sqlite");
  RunObserver quiet;
  RunControl control;
  auto outcome = run_experiment(quick_spec(), path, quiet, control);
  ASSERT_EQ(outcome.result.status, RunStatus::Finished) << outcome.error;
  RunStore store(path, RunStore::Access::ReadOnly);
  auto run = store.get_run(outcome.run_id);
  EXPECT_EQ(run.status, "finished");
  EXPECT_EQ(run.name, "session");
  EXPECT_NE(run.env_json.find("\"pid\""), std::string::npos);
  EXPECT_DOUBLE_EQ(*store.last_value(run.id, "test/accuracy"), outcome.result.test_accuracy);
  // 1080 training examples / 50 = 22 steps per epoch, 132 steps: logged at multiples of 7.
  auto loss = store.series(run.id, "train/loss");
  ASSERT_FALSE(loss.empty());
  for (const auto& row : loss) EXPECT_TRUE(row.step % 7 == 0 || row.step == 132) << row.step;
  EXPECT_EQ(store.latest_checkpoint(run.id)->step, 132);
  bool summary = false;
  for (const auto& e : store.events(run.id)) summary = summary || e.kind == "summary";
  EXPECT_TRUE(summary);
}

TEST(RunSessionTest, ResumeContinuesTheSameRunAndReplacesLostRecords) {
  TempDir dir;
  auto path = dir.file("runs.sqlite");
  RunObserver quiet;
  RunControl go;
  auto reference = run_experiment(quick_spec(), path, quiet, go);

  RunControl control;
  StopAfter stopper(control, 45);  // Logged (and so stopped) at 49; checkpoints at 40 and 49.
  auto stopped = run_experiment(quick_spec(), path, stopper, control);
  ASSERT_EQ(stopped.result.status, RunStatus::Cancelled);
  {
    RunStore store(path, RunStore::Access::ReadOnly);
    EXPECT_EQ(store.get_run(stopped.run_id).status, "cancelled");
    EXPECT_EQ(store.latest_checkpoint(stopped.run_id)->step, 49);
  }
  RunControl again;
  auto resumed = resume_experiment(path, std::to_string(stopped.run_id), quiet, again);
  ASSERT_EQ(resumed.result.status, RunStatus::Finished) << resumed.error;
  EXPECT_EQ(resumed.run_id, stopped.run_id);
  EXPECT_EQ(resumed.result.test_loss, reference.result.test_loss);

  RunStore store(path, RunStore::Access::ReadOnly);
  auto a = store.series(reference.run_id, "train/loss");
  auto b = store.series(resumed.run_id, "train/loss");
  ASSERT_EQ(a.size(), b.size());  // Same steps logged, none twice.
  for (size_t i = 0; i < a.size(); ++i) EXPECT_EQ(a[i].step, b[i].step);
  EXPECT_EQ(store.get_run(resumed.run_id).status, "finished");
  EXPECT_THROW(resume_experiment(path, std::to_string(resumed.run_id), quiet, again), InputError);
}

TEST(RunSessionTest, BadInputStoresNothing) {
  TempDir dir;
  auto path = dir.file("runs.sqlite");
  auto spec = quick_spec();
  spec.data.dataset = DatasetKind::Idx;
  spec.data.path = dir.file("no-such-dir");
  RunObserver quiet;
  RunControl control;
  EXPECT_THROW(run_experiment(spec, path, quiet, control), InputError);
  EXPECT_FALSE(std::filesystem::exists(path));
}

TEST(RunSessionTest, AllDigitUuidPrefixesStillFindTheirRun) {
  TempDir dir;
  RunStore store(dir.file("runs.sqlite"), RunStore::Access::ReadWrite);
  NewRun row;
  row.name = "digits";
  row.spec_json = "{}";
  auto id = store.create_run(row);
  store.db().exec("UPDATE runs SET uuid = '12345678-0000-4000-8000-000000000000'");
  EXPECT_EQ(store.find_run("12345678").id, id);
  EXPECT_EQ(store.find_run(std::to_string(id)).name, "digits");
}

namespace {

/// Keeps the preparation phases a run reports and whether they came before its start.
struct PhaseLog : RunObserver {
  void on_phase(const std::string& what) override {
    if (!started) phases.push_back(what);
  }
  void on_start(const RunStartInfo&) override { started = true; }
  std::vector<std::string> phases;
  bool started = false;
};

}  // namespace

TEST(RunSessionTest, AStudentSaysItComputesItsTeachersOutputsBeforeItsFirstStep) {
  TempDir dir;
  auto path = dir.file("runs.sqlite");
  RunObserver quiet;
  RunControl control;
  auto teacher = quick_spec();
  teacher.name = "teacher";
  teacher.schedule.epochs = 1;
  ASSERT_EQ(run_experiment(teacher, path, quiet, control).result.status, RunStatus::Finished);
  auto student = quick_spec();
  student.schedule.epochs = 1;
  student.has_distill = true;
  student.distill.teachers.resize(1);
  student.distill.teachers[0].ref = "teacher";
  PhaseLog log;
  auto outcome = run_experiment(student, path, log, control);
  ASSERT_EQ(outcome.result.status, RunStatus::Finished) << outcome.error;
  // 1200 points, 10% held out for validation: the transfer set is the 1080 training examples.
  EXPECT_EQ(log.phases, (std::vector<std::string>{
                            "reading the data",
                            "loading the teacher and computing its outputs on the transfer set "
                            "(1080 examples)"}));
}
