// The summary of any registered compression method, in generic form: a method needs no printer
// of its own to show what its run measured (method/method_registry.h, method/method_summary.h).
#include <nlohmann/json.hpp>

#include <cstdio>
#include <string>
#include <vector>

#include "commands.h"
#include "method/method_registry.h"
#include "method/method_summary.h"

namespace slimlab::cli {
namespace {

void print_table(const SummaryTable& t) {
  std::vector<size_t> width;
  for (size_t i = 0; i < t.columns.size(); ++i) {
    size_t w = t.columns[i].size();
    for (const auto& row : t.rows) w = std::max(w, row[i].size());
    width.push_back(w);
  }
  auto line = [&](const std::vector<std::string>& cells) {
    std::string text = "   ";
    for (size_t i = 0; i < cells.size(); ++i) {
      text += " " + cells[i] + std::string(width[i] - cells[i].size(), ' ');
    }
    std::printf("%s\n", text.c_str());
  };
  std::printf("    %s\n", t.name.c_str());
  line(t.columns);
  for (const auto& row : t.rows) line(row);
}

}  // namespace

void print_method_summary(const std::string& key, const nlohmann::json& summary) {
  if (!summary.is_object()) return;
  const auto* method = find_registered_method(key);
  std::printf("  %s (%s)\n", method != nullptr ? method->label.c_str() : key.c_str(), key.c_str());
  const auto layout = layout_summary(summary);
  for (const auto& [name, value] : layout.figures) {
    std::printf("    %-34s %s\n", name.c_str(), value.c_str());
  }
  for (const auto& t : layout.tables) print_table(t);
}

void print_method_summaries(const nlohmann::json& run_summary) {
  if (!run_summary.is_object()) return;
  for (const auto* method : registered_methods()) {
    if (run_summary.contains(method->key)) {
      print_method_summary(method->key, run_summary[method->key]);
    }
  }
}

}  // namespace slimlab::cli
