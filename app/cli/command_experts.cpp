// `slimlab-cli show RUN --experts`: how each MoE layer's router spread the work.
#include <cmath>
#include <cstdio>
#include <map>
#include <nlohmann/json.hpp>

#include "commands.h"
#include "data/dataset.h"
#include "moe/router_stats.h"
#include "spec/experiment_spec.h"
#include "store/run_store.h"

namespace slimlab::cli {
namespace {

std::vector<std::string> run_class_names(const RunRow& run, int64_t classes) {
  auto spec = nlohmann::json::parse(run.spec_json, nullptr, false);
  auto dataset = spec.is_object() ? spec["data"].value("dataset", "") : "";
  return class_names(dataset == "fashion-mnist" ? DatasetKind::FashionMnist : DatasetKind::Idx,
                     classes);
}

void print_load(const ExpertLoadRow& row) {
  std::vector<double> load(row.load.begin(), row.load.end());
  std::vector<double> importance(row.importance.begin(), row.importance.end());
  std::printf(
      "  Layer %lld, step %lld: load share (assignments) and importance (mean router "
      "probability)\n",
      (long long)row.layer, (long long)row.step);
  std::printf("    %-7s %8s %11s\n", "expert", "load", "importance");
  int dead = 0;
  for (size_t e = 0; e < load.size(); ++e) {
    dead += load[e] == 0;
    std::printf("    %-7zu %7.1f%% %10.1f%%%s\n", e, 100 * load[e], 100 * importance[e],
                load[e] == 0 ? "  (no tokens)" : "");
  }
  std::printf(
      "    load CV %.3f, max/mean %.2f, gate entropy %.3f of %.3f nats, %d without tokens\n",
      load_cv(load), max_over_mean(load), entropy_nats(importance), std::log(double(load.size())),
      dead);
}

void print_matrix(const RoutingMatrixRow& m, const std::vector<std::string>& names) {
  std::printf(
      "  Layer %lld, %s split, step %lld: share of each class's examples by first-choice "
      "expert\n",
      (long long)m.layer, m.split.c_str(), (long long)m.step);
  std::printf("    %-12s", "class");
  for (int64_t e = 0; e < m.experts; ++e) std::printf(" %5s%lld", "e", (long long)e);
  std::printf("\n");
  for (int64_t c = 0; c < m.classes; ++c) {
    int64_t total = 0;
    for (int64_t e = 0; e < m.experts; ++e) total += m.counts[size_t(c * m.experts + e)];
    std::printf("    %-12.12s", names[size_t(c)].c_str());
    for (int64_t e = 0; e < m.experts; ++e) {
      double share = total > 0 ? double(m.counts[size_t(c * m.experts + e)]) / double(total) : 0;
      std::printf(" %5.0f%%", 100 * share);
    }
    std::printf("\n");
  }
}

}  // namespace

void print_experts(RunStore& store, const RunRow& run) {
  auto loads = store.expert_load(run.id);
  auto matrices = store.routing_matrices(run.id);
  if (loads.empty()) {
    std::printf("Run %lld has no mixture-of-experts layers.\n", (long long)run.id);
    return;
  }
  // The last row of each layer.
  std::map<int64_t, ExpertLoadRow> final_load;
  for (const auto& row : loads) final_load[row.layer] = row;
  std::map<int64_t, RoutingMatrixRow> final_matrix;
  for (const auto& m : matrices) {
    auto it = final_matrix.find(m.layer);
    // Prefer the test split at the last step, else the newest validation matrix.
    if (it == final_matrix.end() || m.step > it->second.step ||
        (m.step == it->second.step && m.split == "test")) {
      final_matrix[m.layer] = m;
    }
  }
  std::printf("Experts of run %lld (%s)\n", (long long)run.id, run.name.c_str());
  for (const auto& [layer, row] : final_load) {
    print_load(row);
    if (auto it = final_matrix.find(layer); it != final_matrix.end()) {
      print_matrix(it->second, run_class_names(run, it->second.classes));
    }
  }
}

nlohmann::json experts_json(RunStore& store, const RunRow& run) {
  nlohmann::json layers = nlohmann::json::array();
  std::map<int64_t, nlohmann::json> by_layer;
  for (const auto& row : store.expert_load(run.id)) {
    by_layer[row.layer]["layer"] = row.layer;
    by_layer[row.layer]["step"] = row.step;
    by_layer[row.layer]["load"] = row.load;
    by_layer[row.layer]["importance"] = row.importance;
  }
  for (const auto& m : store.routing_matrices(run.id)) {
    by_layer[m.layer]["routing"][m.split] = {
        {"step", m.step}, {"classes", m.classes}, {"experts", m.experts}, {"counts", m.counts}};
  }
  for (auto& [layer, j] : by_layer) layers.push_back(j);
  return layers;
}

}  // namespace slimlab::cli
