// The shape of core/ as docs/architecture.md draws it: its folders include each other in one
// direction only (a DAG, so core/ reads bottom-up and a change to pruning's options does not
// recompile the gemm kernel), options headers never pull in the whole experiment spec, and core
// never includes Qt. Reads the sources; builds nothing.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <regex>
#include <set>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;

struct Include {
  std::string file;  ///< Relative to core/, e.g. "moe/router_stats.h".
  int line = 0;
  std::string target;  ///< The quoted path, e.g. "train/train_observer.h".
};

std::vector<Include> core_includes() {
  const fs::path core = fs::path(SLIMLAB_SOURCE_DIR) / "core";
  // Both spellings reach core/ (a public include directory): "spec/x.h" and <spec/x.h>.
  const std::regex quoted(R"(^\s*#\s*include\s*["<]([^">]+)[">])");
  std::vector<Include> all;
  for (const auto& entry : fs::recursive_directory_iterator(core)) {
    const auto ext = entry.path().extension();
    if (!entry.is_regular_file() || (ext != ".h" && ext != ".cpp")) continue;
    std::ifstream in(entry.path());
    std::string text;
    int line = 0;
    while (std::getline(in, text)) {
      ++line;
      std::smatch m;
      if (std::regex_search(text, m, quoted)) {
        all.push_back({fs::relative(entry.path(), core).string(), line, m[1]});
      }
    }
  }
  return all;
}

/// The core/ folder a path starts with, or "" (a system header such as <torch/torch.h>).
std::string folder_of(const std::string& path) {
  const auto slash = path.find('/');
  if (slash == std::string::npos) return "";
  const auto folder = path.substr(0, slash);
  return fs::is_directory(fs::path(SLIMLAB_SOURCE_DIR) / "core" / folder) ? folder : "";
}

}  // namespace

TEST(ArchitectureTest, CoreFoldersIncludeEachOtherInOneDirectionOnly) {
  const auto includes = core_includes();
  ASSERT_GT(includes.size(), 100u) << "core/ sources not found under " << SLIMLAB_SOURCE_DIR;
  // Folder -> folder, with one include that makes the edge (to name it when a cycle appears).
  std::map<std::string, std::map<std::string, Include>> edges;
  for (const auto& inc : includes) {
    // A relative climb ("../spec/x.h") would hide an edge from this check.
    EXPECT_EQ(inc.target.find(".."), std::string::npos)
        << inc.file << ":" << inc.line << " includes \"" << inc.target << "\"; name it from core/";
    const auto from = folder_of(inc.file);
    const auto to = folder_of(inc.target);
    if (!from.empty() && !to.empty() && from != to) edges[from].emplace(to, inc);
  }
  // Depth-first search; a grey node met again closes a cycle.
  std::map<std::string, int> colour;  // 0 white, 1 grey (on the path), 2 black (done).
  std::vector<std::string> path;
  std::string cycle;
  std::function<bool(const std::string&)> visit = [&](const std::string& node) {
    colour[node] = 1;
    path.push_back(node);
    for (const auto& [next, inc] : edges[node]) {
      if (colour[next] == 1) {
        auto start = std::find(path.begin(), path.end(), next);
        for (auto it = start; it != path.end(); ++it) {
          const auto& to = (it + 1 == path.end()) ? next : *(it + 1);
          const auto& why = edges[*it].at(to);
          cycle += *it + " -> " + to + " (" + why.file + ":" + std::to_string(why.line) +
                   " includes \"" + why.target + "\")\n";
        }
        return true;
      }
      if (colour[next] == 0 && visit(next)) return true;
    }
    path.pop_back();
    colour[node] = 2;
    return false;
  };
  for (const auto& [node, unused] : edges) {
    if (colour[node] == 0 && visit(node)) break;
  }
  if (!cycle.empty()) ADD_FAILURE() << "core/ folders include each other in a cycle:\n" << cycle;
}

TEST(ArchitectureTest, OptionsHeadersDoNotIncludeTheWholeSpec) {
  for (const auto& inc : core_includes()) {
    const bool options =
        inc.file.size() > 10 && inc.file.compare(inc.file.size() - 10, 10, "_options.h") == 0;
    if (options) {
      EXPECT_NE(inc.target, "spec/experiment_spec.h")
          << inc.file << ":" << inc.line << " includes the whole experiment spec";
    }
  }
}

TEST(ArchitectureTest, CoreNeverIncludesQt) {
  const fs::path core = fs::path(SLIMLAB_SOURCE_DIR) / "core";
  const std::regex qt(R"(^\s*#\s*include\s*["<](Q|q[a-z]+\.h))");
  for (const auto& entry : fs::recursive_directory_iterator(core)) {
    if (!entry.is_regular_file()) continue;
    std::ifstream in(entry.path());
    std::string text;
    int line = 0;
    while (std::getline(in, text)) {
      ++line;
      EXPECT_FALSE(std::regex_search(text, qt)) << entry.path() << ":" << line << ": " << text;
    }
  }
}
