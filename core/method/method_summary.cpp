#include "method/method_summary.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>

namespace slimlab {
namespace {

std::string cell(const nlohmann::json& v) {
  if (v.is_number_float()) {
    char text[32];
    std::snprintf(text, sizeof text, "%.4g", v.get<double>());
    return text;
  }
  if (v.is_string()) return v.get<std::string>();
  if (v.is_array()) {
    std::string out;
    for (const auto& e : v) out += (out.empty() ? "" : "x") + cell(e);
    return out;
  }
  return v.dump();
}

bool is_table(const nlohmann::json& v) {
  return v.is_array() && !v.empty() &&
         std::all_of(v.begin(), v.end(), [](const nlohmann::json& e) { return e.is_object(); });
}

void flatten(const nlohmann::json& j, const std::string& prefix, SummaryLayout& out) {
  for (const auto& item : j.items()) {
    const std::string key = prefix.empty() ? item.key() : prefix + "." + item.key();
    if (item.value().is_object()) {
      flatten(item.value(), key, out);
    } else if (!is_table(item.value())) {
      out.figures.emplace_back(key, cell(item.value()));
    }
  }
}

SummaryTable table(const std::string& name, const nlohmann::json& rows) {
  SummaryTable t;
  t.name = name;
  // What names a row comes first; the rest as stored (by key), over every row's keys.
  for (const char* first : {"layer", "name"}) {
    if (rows.front().contains(first)) t.columns.push_back(first);
  }
  for (const auto& row : rows) {
    for (const auto& item : row.items()) {
      if (std::find(t.columns.begin(), t.columns.end(), item.key()) == t.columns.end()) {
        t.columns.push_back(item.key());
      }
    }
  }
  for (const auto& row : rows) {
    std::vector<std::string> cells;
    for (const auto& c : t.columns) cells.push_back(row.contains(c) ? cell(row[c]) : "");
    t.rows.push_back(std::move(cells));
  }
  return t;
}

}  // namespace

SummaryLayout layout_summary(const nlohmann::json& summary) {
  SummaryLayout out;
  if (!summary.is_object()) return out;
  flatten(summary, "", out);
  for (const auto& item : summary.items()) {
    if (is_table(item.value())) out.tables.push_back(table(item.key(), item.value()));
  }
  return out;
}

}  // namespace slimlab
