#pragma once
// The fixture of the slimlab-cli end-to-end tests (cli_test.cpp, kill_test.cpp): the real
// binary, a temporary store, real data files.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "../core/test_files.h"

namespace slimlab::testing {

using nlohmann::json;

struct CliResult {
  int exit_code = -1;
  std::string out;
  std::string err;
  /// The last line of stdout, parsed (what --json promises).
  json last_json() const {
    auto end = out.find_last_not_of('\n');
    auto begin = out.rfind('\n', end);
    return json::parse(out.substr(begin == std::string::npos ? 0 : begin + 1));
  }
};

inline std::string read_all(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

inline std::string preset(const std::string& name) {
  return std::string(SLIMLAB_SOURCE_DIR) + "/experiments/" + name;
}

/// A spirals run of a few seconds: enough to have a finished run to work on.
inline constexpr const char* kQuickSpirals = "--set schedule.epochs=15 --set data.points=800";

class CliTest : public ::testing::Test {
 protected:
  CliResult cli(const std::string& args) {
    std::string command = std::string(SLIMLAB_CLI) + " --db " + db() + " " + args + " >" +
                          dir_.file("out") + " 2>" + dir_.file("err");
    int status = std::system(command.c_str());
    CliResult r;
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    r.out = read_all(dir_.file("out"));
    r.err = read_all(dir_.file("err"));
    return r;
  }
  std::string db() const { return dir_.file("store/runs.sqlite"); }
  void killAtRandomMoments(const std::string& command, const json& expected, int attempts,
                           unsigned seed);  // kill_test.cpp
  TempDir dir_;
};

}  // namespace slimlab::testing
