// The shipped Fashion-MNIST presets meet their accuracy bars (issue: foundation), measured with
// the real CLI on the real data. Slow (a few minutes); wall times are printed, never asserted.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "../core/test_files.h"

namespace {

struct PresetCase {
  const char* file;
  double min_test_accuracy;
};

void PrintTo(const PresetCase& c, std::ostream* os) { *os << c.file; }

class PresetTest : public ::testing::TestWithParam<PresetCase> {};

TEST_P(PresetTest, ReachesItsAccuracyBar) {
  if (!std::filesystem::exists("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz")) {
    GTEST_SKIP() << "dataset-fashion-mnist is not installed";
  }
  slimlab::testing::TempDir dir;
  auto out = dir.file("out");
  std::string command = std::string(SLIMLAB_CLI) + " --db " + dir.file("runs.sqlite") + " run " +
                        SLIMLAB_SOURCE_DIR + "/experiments/" + GetParam().file +
                        " --json --quiet >" + out;
  auto start = std::chrono::steady_clock::now();
  int status = std::system(command.c_str());
  double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  std::ifstream in(out);
  std::string line, last;
  while (std::getline(in, line)) last = line.empty() ? last : line;
  auto j = nlohmann::json::parse(last);
  double accuracy = j["test_accuracy"].get<double>();
  std::printf(
      "[ preset   ] %s: test accuracy %.2f%%, %.1f s training at %.0f steps/s, %.1f s wall\n",
      GetParam().file, 100 * accuracy, j["train_seconds"].get<double>(),
      j["steps_per_second"].get<double>(), wall);
  EXPECT_GE(accuracy, GetParam().min_test_accuracy);
}

INSTANTIATE_TEST_SUITE_P(Fashion, PresetTest,
                         ::testing::Values(PresetCase{"mlp-fashion.json", 0.88},
                                           PresetCase{"cnn-fashion.json", 0.90}),
                         [](const auto& info) {
                           std::string name = info.param.file;
                           name = name.substr(0, name.find('.'));
                           std::replace(name.begin(), name.end(), '-', '_');
                           return name;
                         });

}  // namespace

namespace {

/// Runs a preset through the CLI (with `extra` arguments) and returns its --json summary.
nlohmann::json run_preset(const std::string& db, const std::string& name,
                          const std::string& extra = "") {
  slimlab::testing::TempDir dir;
  std::string command = std::string(SLIMLAB_CLI) + " --db " + db + " run " + SLIMLAB_SOURCE_DIR +
                        "/experiments/" + name + " " + extra + " --json --quiet >" +
                        dir.file("out");
  EXPECT_EQ(std::system(command.c_str()), 0) << name;
  std::ifstream in(dir.file("out"));
  std::string line, last;
  while (std::getline(in, line)) last = line.rfind("{", 0) == 0 ? line : last;
  return nlohmann::json::parse(last);
}

/// The last value of metric `key` of run `id`, read back through the CLI's tidy CSV.
double last_metric(const std::string& db, int64_t id, const std::string& key) {
  slimlab::testing::TempDir dir;
  std::string command = std::string(SLIMLAB_CLI) + " --db " + db + " export " + std::to_string(id) +
                        " --csv " + dir.file("m.csv") + " >/dev/null";
  EXPECT_EQ(std::system(command.c_str()), 0);
  std::ifstream in(dir.file("m.csv"));
  std::string line;
  double value = -1;
  int64_t best_step = -1;
  std::string prefix = std::to_string(id) + "," + key + ",";
  while (std::getline(in, line)) {
    if (line.rfind(prefix, 0) != 0) continue;
    auto rest = line.substr(prefix.size());
    int64_t step = std::stoll(rest.substr(0, rest.find(',')));
    if (step > best_step) {
      best_step = step;
      value = std::stod(rest.substr(rest.find(',') + 1));
    }
  }
  return value;
}

}  // namespace

TEST(MoePresetTest, TopTwoMatchesTheDenseBaselineAndStaysBalanced) {
  if (!std::filesystem::exists("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz")) {
    GTEST_SKIP() << "dataset-fashion-mnist is not installed";
  }
  slimlab::testing::TempDir dir;
  auto db = dir.file("runs.sqlite");
  auto moe = run_preset(db, "moe-fashion-top2.json");
  auto dense = run_preset(db, "moe-fashion-dense.json");
  double cv = last_metric(db, moe["run_id"].get<int64_t>(), "moe/0/load_cv");
  double dead = last_metric(db, moe["run_id"].get<int64_t>(), "moe/0/dead_experts");
  std::printf(
      "[ preset   ] moe-fashion-top2 %.2f%% (%.1f s) vs dense %.2f%% (%.1f s); load CV "
      "%.3f, dead experts %.0f\n",
      100 * moe["test_accuracy"].get<double>(), moe["train_seconds"].get<double>(),
      100 * dense["test_accuracy"].get<double>(), dense["train_seconds"].get<double>(), cv, dead);
  EXPECT_GE(moe["test_accuracy"].get<double>(), dense["test_accuracy"].get<double>() - 0.005);
  EXPECT_LE(cv, 0.3);
  EXPECT_EQ(dead, 0.0);
}

TEST(KdPresetTest, DistilledStudentBeatsTheStudentAloneOverThreeSeeds) {
  if (!std::filesystem::exists("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz")) {
    GTEST_SKIP() << "dataset-fashion-mnist is not installed";
  }
  slimlab::testing::TempDir dir;
  auto db = dir.file("runs.sqlite");
  auto teacher = run_preset(db, "cnn-fashion.json");
  double kd_sum = 0, alone_sum = 0;
  for (int seed = 1; seed <= 3; ++seed) {
    auto kd =
        run_preset(db, "kd-cnn-to-mlp.json", "--set seed=" + std::to_string(seed) + " --baseline");
    // gap_closed = (kd - alone) / (teacher - alone) => alone = (kd - g * teacher) / (1 - g).
    ASSERT_TRUE(kd.contains("gap_closed")) << kd.dump();
    double g = kd["gap_closed"].get<double>();
    double alone =
        (kd["test_accuracy"].get<double>() - g * teacher["test_accuracy"].get<double>()) / (1 - g);
    std::printf(
        "[ preset   ] kd-cnn-to-mlp seed %d: distilled %.2f%%, alone %.2f%%, gap closed "
        "%.3f\n",
        seed, 100 * kd["test_accuracy"].get<double>(), 100 * alone, g);
    kd_sum += kd["test_accuracy"].get<double>();
    alone_sum += alone;
  }
  std::printf(
      "[ preset   ] kd-cnn-to-mlp means over 3 seeds: distilled %.2f%%, alone %.2f%%, "
      "teacher %.2f%%\n",
      100 * kd_sum / 3, 100 * alone_sum / 3, 100 * teacher["test_accuracy"].get<double>());
  EXPECT_GT(kd_sum / 3, alone_sum / 3);
}

TEST(PrunePresetTest, LeNet300At90PercentSparsityLosesAtMostOnePoint) {
  if (!std::filesystem::exists("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz")) {
    GTEST_SKIP() << "dataset-fashion-mnist is not installed";
  }
  slimlab::testing::TempDir dir;
  auto j = run_preset(dir.file("runs.sqlite"), "prune-lenet300-agp.json", "--baseline");
  ASSERT_TRUE(j.contains("prune")) << j.dump();
  const auto& p = j["prune"];
  ASSERT_TRUE(p.contains("dense_accuracy")) << j.dump();
  std::printf(
      "[ preset   ] prune-lenet300-agp: %.2f%% at %.2f%% global sparsity (%lld of %lld weights "
      "left), dense %.2f%%, drop %.2f points; CSR %lld of %lld bytes\n",
      100 * j["test_accuracy"].get<double>(), 100 * p["mask_sparsity"].get<double>(),
      (long long)p["nonzeros"].get<int64_t>(), (long long)p["params_dense"].get<int64_t>(),
      100 * p["dense_accuracy"].get<double>(), 100 * p["accuracy_drop"].get<double>(),
      (long long)p["bytes_csr"].get<int64_t>(), (long long)p["bytes_dense"].get<int64_t>());
  EXPECT_GE(p["mask_sparsity"].get<double>(), 0.9 - 1e-6);
  EXPECT_LE(p["accuracy_drop"].get<double>(), 0.010);
}

TEST(LowRankPresetTest, MlpHiddenLayersAtAQuarterOfTheirParametersLoseAtMostOnePoint) {
  if (!std::filesystem::exists("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz")) {
    GTEST_SKIP() << "dataset-fashion-mnist is not installed";
  }
  slimlab::testing::TempDir dir;
  const auto db = dir.file("runs.sqlite");
  auto dense = run_preset(db, "mlp-fashion.json");
  auto j = run_preset(db, "lowrank-mlp.json");
  ASSERT_TRUE(j.contains("lowrank")) << j.dump();
  const auto& l = j["lowrank"];
  int64_t before = 0, after = 0;
  for (const auto& layer : l["layers"]) {
    before += layer["params_before"].get<int64_t>();
    after += layer["params_after"].get<int64_t>();
  }
  std::printf(
      "[ preset   ] lowrank-mlp: %.2f%% vs dense %.2f%% (drop %.2f points); hidden layers %lld -> "
      "%lld parameters (%.1f%%); batch %lld: %.3f -> %.3f ms (%.2fx)\n",
      100 * j["test_accuracy"].get<double>(), 100 * dense["test_accuracy"].get<double>(),
      l["accuracy_drop_points"].get<double>(), (long long)before, (long long)after,
      100.0 * double(after) / double(before), (long long)l["latency"]["batch"].get<int64_t>(),
      l["latency"]["dense"]["median_ms"].get<double>(),
      l["latency"]["factorised"]["median_ms"].get<double>(), l["latency"]["speedup"].get<double>());
  EXPECT_EQ(l["from_run"]["id"], dense["run_id"]);
  EXPECT_LE(double(after), 0.25 * double(before));
  EXPECT_LE(l["accuracy_drop_points"].get<double>(), 1.0);
}
