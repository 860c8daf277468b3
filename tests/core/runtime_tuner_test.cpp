// Threads and gemm chosen by measurement: the candidates a spec leaves open, the measurement's
// independence from the run's random numbers, the per-machine cache and its file format.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <torch/torch.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "data/dataset.h"
#include "nn/gemm.h"
#include "test_files.h"
#include "train/runtime_cache.h"
#include "train/runtime_tuner.h"
#include "train/training_slots.h"
#include "util/input_error.h"

using namespace slimlab;
using namespace slimlab::testing;

namespace {

ExperimentSpec moons_spec() {
  ExperimentSpec spec;
  spec.seed = 4;
  spec.data.dataset = DatasetKind::Moons;
  spec.data.points = 400;
  spec.data.batch_size = 64;
  spec.model.mlp.hidden({64, 64}).dropout(0.2);  // Dropout draws from the generator.
  return spec;
}

std::string error_of(const std::string& text) {
  try {
    parse_runtime_cache(text, "cache.json");
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST(RuntimeTunerTest, CandidatesAreWhatTheSpecLeavesOpen) {
  auto all = runtime_candidates(RuntimeSpec{}, 2);
  ASSERT_EQ(all.size(), 4u);
  // The rule's choice first: every core for LibTorch, one BLAS thread, oneDNN.
  EXPECT_EQ(all[0].describe(), "2 LibTorch threads, 1 BLAS thread, oneDNN gemm");
  EXPECT_EQ(all[1].describe(), "1 LibTorch thread, 2 BLAS threads, oneDNN gemm");
  EXPECT_EQ(all[2].describe(), "2 LibTorch threads, 1 BLAS thread, BLAS gemm");
  EXPECT_EQ(all[3].describe(), "1 LibTorch thread, 2 BLAS threads, BLAS gemm");
  RuntimeSpec fixed;
  fixed.threads = 1;
  fixed.gemm = GemmKind::Blas;
  ASSERT_EQ(runtime_candidates(fixed, 2).size(), 1u);
  RuntimeSpec gemm_only;
  gemm_only.gemm = GemmKind::OneDnn;
  EXPECT_EQ(runtime_candidates(gemm_only, 2).size(), 2u);      // Threads 2 and 1.
  EXPECT_EQ(runtime_candidates(RuntimeSpec{}, 1).size(), 2u);  // SLIMLAB_THREADS=1: the gemm.
  EXPECT_THROW(set_gemm_backend(GemmKind::Auto), std::invalid_argument);
}

// Measuring trains a scratch copy with dropout; the run's generator must not notice.
TEST(RuntimeTunerTest, MeasuringTakesNothingFromTheRunsRandomNumbers) {
  auto spec = moons_spec();
  auto data = load_data(spec.data, spec.seed);
  torch::manual_seed(77);
  auto expected = torch::rand({8});
  torch::manual_seed(77);
  auto measured = measure_runtimes(spec, data, runtime_candidates(RuntimeSpec{}, 2), 0.05);
  auto got = torch::rand({8});
  EXPECT_TRUE(torch::equal(got, expected));
  ASSERT_EQ(measured.size(), 4u);
  for (const auto& m : measured) EXPECT_GT(m.steps_per_second, 0) << m.threads;
}

// First run of a model: measured and cached; the same model again (another process: the file)
// is cached, costs nothing and trains alike; another batch size is measured anew.
TEST(RuntimeTunerTest, ChoiceIsMeasuredOnceThenCachedPerModelAndBatch) {
  TempDir cache;
  ScopedEnv xdg("XDG_CACHE_HOME", cache.path());
  ScopedEnv share("SLIMLAB_THREADS", "2");
  forget_runtime_choices();
  auto spec = moons_spec();
  auto data = load_data(spec.data, spec.seed);
  auto first = choose_runtime(spec, data);
  EXPECT_EQ(first.source, RuntimeSource::Measured);
  ASSERT_EQ(first.measured.size(), 4u);
  EXPECT_GT(first.measure_seconds, 0);
  double best = 0;  // Among the candidates timed in rounds.
  for (const auto& m : first.measured) {
    if (m.rounds > 0) best = std::max(best, m.steps_per_second);
  }
  bool chose_the_best = false;
  for (const auto& m : first.measured) {
    if (m.threads == first.threads && m.gemm == first.gemm) {
      chose_the_best = m.steps_per_second == best;
    }
  }
  EXPECT_TRUE(chose_the_best) << runtime_summary(first);
  EXPECT_EQ(at::get_num_threads(), first.threads);
  EXPECT_EQ(gemm_backend(), first.gemm);
  size_t files = 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(cache.path())) {
    files += e.is_regular_file();
  }
  EXPECT_EQ(files, 1u);

  forget_runtime_choices();  // As a new process: only the file remains.
  auto again = choose_runtime(spec, data);
  EXPECT_EQ(again.source, RuntimeSource::Cached);
  EXPECT_TRUE(again.same_settings(first));
  EXPECT_EQ(again.measured.size(), first.measured.size());

  spec.data.batch_size = 32;
  EXPECT_EQ(choose_runtime(spec, data).source, RuntimeSource::Measured);

  // The spec's own choice is taken as it is.
  spec.runtime.threads = 1;
  spec.runtime.gemm = GemmKind::Blas;
  auto fixed = choose_runtime(spec, data);
  EXPECT_EQ(fixed.source, RuntimeSource::Spec);
  EXPECT_TRUE(fixed.measured.empty());
  EXPECT_EQ(gemm_backend(), GemmKind::Blas);
  set_gemm_backend(GemmKind::OneDnn);
}

// A damaged cache file is not trusted: it is removed and the model measured again.
TEST(RuntimeTunerTest, DamagedCacheFileIsMeasuredAgain) {
  TempDir cache;
  ScopedEnv xdg("XDG_CACHE_HOME", cache.path());
  ScopedEnv share("SLIMLAB_THREADS", "1");
  forget_runtime_choices();
  auto spec = moons_spec();
  auto data = load_data(spec.data, spec.seed);
  ASSERT_EQ(choose_runtime(spec, data).source, RuntimeSource::Measured);
  for (const auto& e : std::filesystem::recursive_directory_iterator(cache.path())) {
    if (e.is_regular_file()) std::ofstream(e.path()) << R"({"format": "slimlab-runtime-choice")";
  }
  forget_runtime_choices();
  EXPECT_EQ(choose_runtime(spec, data).source, RuntimeSource::Measured);
  forget_runtime_choices();
  EXPECT_EQ(choose_runtime(spec, data).source, RuntimeSource::Cached);  // Written anew.
}

TEST(RuntimeCacheTest, FileFormatRoundTripsAndRefusesBadFieldsByName) {
  RuntimeChoice c;
  c.threads = 1;
  c.blas_threads = 2;
  c.gemm = GemmKind::Blas;
  c.measure_seconds = 0.25;
  c.measured = {{2, 1, GemmKind::OneDnn, 480.5, 3}, {1, 2, GemmKind::Blas, 612.0, 0}};
  auto [key, back] = parse_runtime_cache(runtime_cache_text("the key", c), "cache.json");
  EXPECT_EQ(key, "the key");
  EXPECT_TRUE(back.same_settings(c));
  EXPECT_EQ(back.source, RuntimeSource::Cached);
  ASSERT_EQ(back.measured.size(), 2u);
  EXPECT_EQ(back.measured[0].steps_per_second, 480.5);
  EXPECT_EQ(back.measured[1].gemm, GemmKind::Blas);
  EXPECT_EQ(back.measured[0].rounds, 3);
  EXPECT_EQ(back.measured[1].rounds, 0);
  EXPECT_EQ(back.others_busy_cores, -1);  // Not recorded: unknown.
  c.others_busy_cores = 1.25;
  EXPECT_EQ(parse_runtime_cache(runtime_cache_text("k", c), "cache.json").second.others_busy_cores,
            1.25);

  auto good = nlohmann::json::parse(runtime_cache_text("k", c));
  auto with = [&](const char* field, nlohmann::json value) {
    auto j = good;
    j[field] = value;
    return error_of(j.dump());
  };
  EXPECT_EQ(error_of("not json"), "cache.json: not a JSON object (a runtime-choice cache file)");
  EXPECT_EQ(with("format", "other"), "cache.json: format: must be \"slimlab-runtime-choice\"");
  EXPECT_EQ(with("threads", 0),
            "cache.json: threads: must be a whole number between 1 and "
            "1024, got 0");
  EXPECT_EQ(with("gemm", "auto"), "cache.json: gemm: must be \"onednn\" or \"blas\", got \"auto\"");
  EXPECT_EQ(with("measure_seconds", -1),
            "cache.json: measure_seconds: must be a finite number >= 0, got -1");
  EXPECT_EQ(with("others_busy_cores", -0.5),
            "cache.json: others_busy_cores: must be a finite number >= 0, got -0.5");
  EXPECT_EQ(with("others_busy_cores", 2000),
            "cache.json: others_busy_cores: must be at most 1024, got 2000");
  auto j = good;
  j["measured"][1].erase("gemm");
  EXPECT_EQ(error_of(j.dump()), "cache.json: measured[1].gemm: missing");
  j = good;
  j.erase("key");
  EXPECT_EQ(error_of(j.dump()), "cache.json: key: missing");
}

// A run starting beside another trainer on this machine (another process, any store) takes its
// share of the cores; a trainer killed without cleaning up is not counted.
TEST(TrainingSlotsTest, RunsBesideOthersTakeTheirShareOfTheCores) {
  TempDir slots;
  ScopedEnv place("XDG_RUNTIME_DIR", slots.path());
  ScopedEnv restore("SLIMLAB_THREADS", "");  // The test environment sets it; put back after.
  ::unsetenv("SLIMLAB_THREADS");
  EXPECT_EQ(other_training_slots(), 0);
  EXPECT_EQ(automatic_threads(), usable_cores());
  TrainingSlot own;  // This process's own slots never count.
  EXPECT_EQ(other_training_slots(), 0);

  int ready[2], release[2];
  ASSERT_EQ(::pipe(ready), 0);
  ASSERT_EQ(::pipe(release), 0);
  pid_t child = ::fork();
  if (child == 0) {
    {
      TrainingSlot slot;
      char c = 1;
      (void)::write(ready[1], &c, 1);
      (void)::read(release[0], &c, 1);
      if (c == 'k') ::_exit(0);  // Killed: the slot's file stays, unlocked.
    }
    ::_exit(0);
  }
  char c = 0;
  ASSERT_EQ(::read(ready[0], &c, 1), 1);
  EXPECT_EQ(other_training_slots(), 1);
  EXPECT_EQ(automatic_threads(), std::max(1, usable_cores() / 2));
  c = 'k';
  ASSERT_EQ(::write(release[1], &c, 1), 1);
  ::waitpid(child, nullptr, 0);
  EXPECT_EQ(other_training_slots(), 0);  // The stale file is not a run.
  size_t files = 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(slots.path())) {
    files += e.is_regular_file();
  }
  EXPECT_EQ(files, 1u);  // Only this process's own slot is left.
}
