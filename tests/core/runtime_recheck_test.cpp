// A cached runtime choice re-checks itself: a run that finds the machine quieter or faster than
// when the choice was measured drops it, so the next run measures again; and the reading of how
// busy other programs keep the machine that this rests on.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "data/dataset.h"
#include "measure/cpu_load.h"
#include "test_files.h"
#include "train/runtime.h"
#include "train/runtime_tuner.h"
#include "train/train_observer.h"
#include "train/trainer.h"

using namespace slimlab;
using namespace slimlab::testing;

namespace {

ExperimentSpec spirals_spec() {
  ExperimentSpec spec;
  spec.seed = 5;
  spec.data.dataset = DatasetKind::Spirals;
  spec.data.points = 400;
  spec.data.batch_size = 50;
  spec.model.mlp.hidden({32, 32});
  return spec;
}

/// A session of `steps` full batches of 50 examples in `seconds`, `others` cores busy beside it.
TrainedSpan span_of(int64_t steps, double seconds, bool cost_is_fixed, double others) {
  TrainedSpan span;
  span.steps = steps;
  span.examples = steps * 50;
  span.full_batch = 50;
  span.seconds = seconds;
  span.others_busy_cores = others;
  span.cost_is_fixed = cost_is_fixed;
  return span;
}

/// Keeps one core busy for `seconds` (wall), then returns.
void spin_for(double seconds) {
  const auto until = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  volatile double x = 0;
  while (std::chrono::steady_clock::now() < until) x = x + 1;
}

}  // namespace

/// A private runtime cache, one thread's share, forgotten choices and the spirals data: every
/// RuntimeRecheckTest measures its own choice from scratch.
class RuntimeRecheckTest : public ::testing::Test {
 protected:
  RuntimeRecheckTest() { forget_runtime_choices(); }
  TempDir cache;
  ScopedEnv xdg{"XDG_CACHE_HOME", cache.path()};
  ScopedEnv share{"SLIMLAB_THREADS", "1"};
  ExperimentSpec spec = spirals_spec();
  DataSplits data = load_data(spec.data, spec.seed);
};

// A choice measured while the machine was busier stays wrong after it calms down: a run that
// trains far faster than the cached figure of its settings drops the entry, and the next run
// measures again; so does one far slower on a quiet machine doing the measured work (the
// machine's state changed). Slower runs with a method's work added (a teacher), or on a busy
// machine now, short ones and pruned ones (structured shrinking speeds steps up) keep it.
TEST_F(RuntimeRecheckTest, RunFarFasterThanItsCachedFigureMeasuresAgain) {
  auto choice = choose_runtime(spec, data);
  ASSERT_EQ(choice.source, RuntimeSource::Measured);
  ASSERT_FALSE(choice.cache_key.empty());
  choice.others_busy_cores = 0;  // Tests run side by side: measured beside another, perhaps.
  double timed = 0;
  for (const auto& m : choice.measured) {
    if (m.threads == choice.threads && m.gemm == choice.gemm) timed = m.steps_per_second;
  }
  ASSERT_GT(timed, 0);
  const int64_t steps = int64_t(20 * timed) + 20;  // About 10 s at twice the measured speed.
  auto seconds_at = [&](double speed) { return double(steps) / (speed * timed); };
  EXPECT_EQ(recheck_runtime_choice(choice, span_of(steps, seconds_at(1.0), true, -1)), "");
  EXPECT_EQ(recheck_runtime_choice(choice, span_of(steps, seconds_at(1.45), true, -1)), "");
  EXPECT_EQ(recheck_runtime_choice(choice, span_of(steps, seconds_at(0.3), true, -1)), "");
  // Far slower on a busy machine, or with a method's work added (a teacher), or barely slower:
  // kept. Far slower on a quiet machine doing the measured work: measured again (below).
  // Far slower is judged only for steps of 1 ms or more: tiny ones keep the choice.
  auto tiny = choice;
  for (auto& m : tiny.measured) m.steps_per_second = 5000;
  EXPECT_EQ(recheck_runtime_choice(tiny, span_of(3000, 2.0, true, 0.0)), "");  // 3.3x slower.
  EXPECT_EQ(recheck_runtime_choice(choice, span_of(19, 19 / (2 * timed), true, -1)), "");
  EXPECT_EQ(recheck_runtime_choice(choice, span_of(steps, seconds_at(2.0), false, -1)), "");
  auto short_batches = span_of(steps, seconds_at(2.0), true, -1);
  short_batches.examples /= 2;  // Twice the steps/s, each on half a batch (n just over a batch).
  EXPECT_EQ(recheck_runtime_choice(choice, short_batches), "");
  forget_runtime_choices();
  auto cached = choose_runtime(spec, data);
  ASSERT_EQ(cached.source, RuntimeSource::Cached);
  cached.others_busy_cores = 0;
  const auto payload = recheck_runtime_choice(cached, span_of(steps, seconds_at(2.0), true, -1));
  ASSERT_NE(payload, "");
  const auto event = nlohmann::json::parse(payload);
  EXPECT_NEAR(event["trained_steps_per_second"].get<double>(), 2 * timed, 1e-6 * timed);
  EXPECT_DOUBLE_EQ(event["measured_steps_per_second"].get<double>(), timed);
  EXPECT_EQ(event["settings"], cached.describe());
  EXPECT_EQ(choose_runtime(spec, data).source, RuntimeSource::Measured);  // Memory and file.
  forget_runtime_choices();
  auto slow = choose_runtime(spec, data);
  ASSERT_EQ(slow.source, RuntimeSource::Cached);
  slow.others_busy_cores = 0;
  for (auto& m : slow.measured) m.steps_per_second = 900;  // Steps of 1.1 ms, as measured.
  auto at = [](double steps_per_second, double others) {
    return span_of(1000, 1000 / steps_per_second, true, others);
  };
  // Slower but within 1.5x, or beside other work in the run's share (every core but the run's
  // one thread busy, and 0.9 more), or with a method's work added (a teacher): kept.
  EXPECT_EQ(recheck_runtime_choice(slow, at(700, 0.0)), "");
  EXPECT_EQ(recheck_runtime_choice(slow, at(300, usable_cores() - 1 + 0.9)), "");
  auto with_teacher = at(300, 0.0);
  with_teacher.same_work_as_measured = false;
  EXPECT_EQ(recheck_runtime_choice(slow, with_teacher), "");
  const auto slower = recheck_runtime_choice(slow, at(300, 0.0));  // 3x slower, quiet.
  ASSERT_NE(slower, "");
  EXPECT_NE(nlohmann::json::parse(slower)["reason"].get<std::string>().find("slower"),
            std::string::npos);
  EXPECT_EQ(choose_runtime(spec, data).source, RuntimeSource::Measured);
  RuntimeChoice from_spec = cached;
  from_spec.cache_key.clear();  // The spec's or a resume's settings: nothing to drop.
  EXPECT_EQ(recheck_runtime_choice(from_spec, span_of(steps, seconds_at(2.0), true, -1)), "");
}

// Measured beside a build (other programs kept a core busy), trained alone: the multi-thread
// candidates were timed sharing their cores, so the choice is measured again. A run beside other
// work keeps it, as does one whose reading is unknown or which measured on a quiet machine.
TEST_F(RuntimeRecheckTest, ChoiceMeasuredBesideOtherWorkIsMeasuredAgainOnAQuietMachine) {
  auto choice = choose_runtime(spec, data);
  ASSERT_EQ(choice.source, RuntimeSource::Measured);
  choice.share = usable_cores();  // The whole machine was the run's (nothing outside it).
  choice.measured.clear();  // The load rule alone: without a timed figure no speed rule applies.
  choice.others_busy_cores = 0.1;  // Measured on a quiet machine.
  EXPECT_EQ(recheck_runtime_choice(choice, span_of(1000, 5.0, true, 0.0)), "");
  choice.others_busy_cores = 1.0;  // Measured beside a build.
  EXPECT_EQ(recheck_runtime_choice(choice, span_of(1000, 5.0, true, 0.9)),
            "");  // Still beside one.
  if (usable_cores() >= 2) {
    auto half = choice;
    half.share = usable_cores() - 1;  // A trainer beside it had one core: its load was expected.
    EXPECT_EQ(recheck_runtime_choice(half, span_of(1000, 5.0, true, 0.0)), "");
  }
  EXPECT_EQ(recheck_runtime_choice(choice, span_of(1000, 5.0, true, -1)), "");  // Unknown now.
  EXPECT_EQ(recheck_runtime_choice(choice, span_of(1000, 0.5, true, 0.0)),
            "");  // Under 1 s: too short.
  const auto payload =
      recheck_runtime_choice(choice, span_of(1000, 5.0, false, 0.05));  // Pruned too.
  ASSERT_NE(payload, "");
  const auto event = nlohmann::json::parse(payload);
  EXPECT_EQ(event["others_busy_cores_when_measured"], 1.0);
  EXPECT_EQ(event["others_busy_cores_during_run"], 0.05);
  EXPECT_NE(event["reason"].get<std::string>().find("other programs kept 1.0 cores busy"),
            std::string::npos)
      << event["reason"];
  EXPECT_EQ(choose_runtime(spec, data).source, RuntimeSource::Measured);
}

// Another process's work counts as the others'; this process's own does not.
TEST(CpuLoadTest, AnotherProcessBusyCountsAndOwnWorkDoesNot) {
  const auto before = cpu_times_now();
  if (!before.known) GTEST_SKIP() << "no /proc/stat here";
  const pid_t child = fork();
  if (child == 0) {
    spin_for(0.6);
    _exit(0);
  }
  ASSERT_GT(child, 0);
  int status = 0;
  waitpid(child, &status, 0);  // This process sleeps meanwhile.
  const auto after_child = cpu_times_now();
  EXPECT_GE(others_busy_cores(before, after_child), 0.6) << "a child spinning all along";
  spin_for(0.4);
  const auto after_own = cpu_times_now();
  EXPECT_GE(after_own.own_seconds - after_child.own_seconds, 0.3);
  EXPECT_EQ(others_busy_cores(after_own, after_own), -1);  // Too short apart to tell.
  CpuTimes unknown;
  EXPECT_EQ(others_busy_cores(unknown, after_own), -1);
}

/// Collects the events a run reports.
class EventLog : public TrainObserver {
 public:
  void on_event(const EventRecord& r) override { events.push_back(r); }
  std::vector<EventRecord> events;
};

// The whole path: a cached figure far below what the machine does makes the run report
// runtime_stale and drop the file, so the next trainer of the model measures again.
TEST_F(RuntimeRecheckTest, TrainerReportsAStaleChoiceAndDropsIt) {
  const auto measured = choose_runtime(spec, data);
  ASSERT_EQ(measured.source, RuntimeSource::Measured);
  // About 3 s of training at the speed just measured: well over the 1 s a recheck needs on any
  // CPU (6000 steps took 0.9 s on a 2-core EPYC).
  double fastest = 0;
  for (const auto& m : measured.measured) fastest = std::max(fastest, m.steps_per_second);
  spec.schedule.steps = std::max<int64_t>(2000, int64_t(3.0 * fastest));
  spec.schedule.eval_interval_steps = spec.schedule.steps;
  spec.schedule.checkpoint_interval_steps = spec.schedule.steps;
  spec.schedule.log_interval_steps = 1000;
  std::string path;
  for (const auto& e : std::filesystem::recursive_directory_iterator(cache.path())) {
    if (e.is_regular_file()) path = e.path().string();
  }
  ASSERT_NE(path, "");
  auto file = nlohmann::json::parse(std::ifstream(path));
  for (auto& m : file["measured"]) m["steps_per_second"] = 0.5;  // "Measured" on a crawl.
  file["others_busy_cores"] = 0.0;
  std::ofstream(path) << file.dump();
  forget_runtime_choices();
  Trainer trainer(spec, data);
  ASSERT_EQ(trainer.runtime().source, RuntimeSource::Cached);
  EventLog log;
  RunControl control;
  trainer.run(log, control);
  bool stale = false;
  for (const auto& e : log.events) stale = stale || e.kind == event_kind::kRuntimeStale;
  EXPECT_TRUE(stale);
  EXPECT_FALSE(std::filesystem::exists(path));
  forget_runtime_choices();
}
