// A cached runtime choice re-checks itself: a run that finds the machine quieter or faster than
// when the choice was measured drops it, so the next run measures again; and the reading of how
// busy other programs keep the machine that this rests on.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <nlohmann/json.hpp>

#include "data/dataset.h"
#include "measure/cpu_load.h"
#include "test_files.h"
#include "train/runtime_tuner.h"

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

/// Keeps one core busy for `seconds` (wall), then returns.
void spin_for(double seconds) {
  const auto until = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  volatile double x = 0;
  while (std::chrono::steady_clock::now() < until) x = x + 1;
}

}  // namespace

// A choice measured while the machine was busier stays wrong after it calms down: a run that
// trains far faster than the cached figure of its settings drops the entry, and the next run
// measures again. Slower runs (a distillation of the same student, a busy machine now), short
// ones and pruned ones (structured shrinking speeds steps up) keep it.
TEST(RuntimeRecheckTest, RunFarFasterThanItsCachedFigureMeasuresAgain) {
  TempDir cache;
  ScopedEnv xdg("XDG_CACHE_HOME", cache.path());
  ScopedEnv share("SLIMLAB_THREADS", "1");
  forget_runtime_choices();
  auto spec = spirals_spec();
  auto data = load_data(spec.data, spec.seed);
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
  EXPECT_EQ(recheck_runtime_choice(choice, steps, seconds_at(1.0), true, -1), "");
  EXPECT_EQ(recheck_runtime_choice(choice, steps, seconds_at(1.45), true, -1), "");
  EXPECT_EQ(recheck_runtime_choice(choice, steps, seconds_at(0.3), true, -1), "");
  EXPECT_EQ(recheck_runtime_choice(choice, 19, 19 / (2 * timed), true, -1), "");
  EXPECT_EQ(recheck_runtime_choice(choice, steps, seconds_at(2.0), false, -1), "");
  forget_runtime_choices();
  auto cached = choose_runtime(spec, data);
  ASSERT_EQ(cached.source, RuntimeSource::Cached);
  cached.others_busy_cores = 0;
  const auto payload = recheck_runtime_choice(cached, steps, seconds_at(2.0), true, -1);
  ASSERT_NE(payload, "");
  const auto event = nlohmann::json::parse(payload);
  EXPECT_NEAR(event["trained_steps_per_second"].get<double>(), 2 * timed, 1e-6 * timed);
  EXPECT_DOUBLE_EQ(event["measured_steps_per_second"].get<double>(), timed);
  EXPECT_EQ(event["settings"], cached.describe());
  EXPECT_EQ(choose_runtime(spec, data).source, RuntimeSource::Measured);  // Memory and file.
  RuntimeChoice from_spec = cached;
  from_spec.cache_key.clear();  // The spec's or a resume's settings: nothing to drop.
  EXPECT_EQ(recheck_runtime_choice(from_spec, steps, seconds_at(2.0), true, -1), "");
}

// Measured beside a build (other programs kept a core busy), trained alone: the multi-thread
// candidates were timed sharing their cores, so the choice is measured again. A run beside other
// work keeps it, as does one whose reading is unknown or which measured on a quiet machine.
TEST(RuntimeRecheckTest, ChoiceMeasuredBesideOtherWorkIsMeasuredAgainOnAQuietMachine) {
  TempDir cache;
  ScopedEnv xdg("XDG_CACHE_HOME", cache.path());
  ScopedEnv share("SLIMLAB_THREADS", "1");
  forget_runtime_choices();
  auto spec = spirals_spec();
  auto data = load_data(spec.data, spec.seed);
  auto choice = choose_runtime(spec, data);
  ASSERT_EQ(choice.source, RuntimeSource::Measured);
  choice.others_busy_cores = 0.1;  // Measured on a quiet machine.
  EXPECT_EQ(recheck_runtime_choice(choice, 1000, 5.0, true, 0.0), "");
  choice.others_busy_cores = 1.0;                                       // Measured beside a build.
  EXPECT_EQ(recheck_runtime_choice(choice, 1000, 5.0, true, 0.9), "");  // Still beside one.
  EXPECT_EQ(recheck_runtime_choice(choice, 1000, 5.0, true, -1), "");   // Unknown now.
  EXPECT_EQ(recheck_runtime_choice(choice, 1000, 0.5, true, 0.0), "");  // Under 1 s: too short.
  const auto payload = recheck_runtime_choice(choice, 1000, 5.0, false, 0.05);  // Pruned too.
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
