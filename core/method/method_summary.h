#pragma once

// A compression method's run summary laid out for reading, the same in the CLI (`run`, `show`)
// and the window's Summary tab: a method needs no printer or view of its own to show what its
// run measured. No LibTorch here (the window's widgets include it).

#include <nlohmann/json_fwd.hpp>

#include <string>
#include <utility>
#include <vector>

namespace slimlab {

/// A list of objects in a summary (e.g. "layers"), as rows of text.
struct SummaryTable {
  std::string name;                            ///< The list's key: "layers".
  std::vector<std::string> columns;            ///< "layer" (or "name") first, then by key.
  std::vector<std::vector<std::string>> rows;  ///< One per object, one cell per column.
};

struct SummaryLayout {
  /// Every other value, nested objects flattened: {"latency.dense.median_ms", "0.2517"}.
  std::vector<std::pair<std::string, std::string>> figures;
  std::vector<SummaryTable> tables;
};

/// Lays out `summary` (a method's object of a run summary; anything else gives an empty layout).
/// Numbers with 4 significant digits, lists of numbers as "256x784".
SummaryLayout layout_summary(const nlohmann::json& summary);

}  // namespace slimlab
