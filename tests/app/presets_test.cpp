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
  std::printf("[ preset   ] %s: test accuracy %.2f%%, %.1f s training at %.0f steps/s, %.1f s wall\n",
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
