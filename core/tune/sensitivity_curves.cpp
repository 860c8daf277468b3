#include "tune/sensitivity_curves.h"

#include <chrono>

#include "lowrank/factorize.h"
#include "util/input_error.h"
#include "util/nearest_word.h"

namespace slimlab {

const char* tune_method_key(TuneMethod method) {
  switch (method) {
    case TuneMethod::Prune:
      return "prune";
    case TuneMethod::LowRank:
      return "lowrank";
    case TuneMethod::Quant:
      return "quant";
  }
  return "?";
}

std::vector<TuneMethod> parse_tune_methods(const std::string& list, const std::string& field) {
  const std::vector<std::string> keys = {"prune", "lowrank", "quant"};
  if (list.empty()) throw InputError(field + ": name at least one of prune, lowrank, quant");
  std::vector<TuneMethod> out;
  size_t begin = 0;
  while (begin <= list.size()) {
    const size_t comma = std::min(list.find(',', begin), list.size());
    const std::string key = list.substr(begin, comma - begin);
    size_t i = 0;
    while (i < keys.size() && keys[i] != key) ++i;
    if (i == keys.size()) {
      const auto near = nearest_word(key, keys);
      throw InputError(field + ": \"" + key + "\" is not a method Tune can use" +
                       (near.empty() ? "" : "; did you mean " + near + "?") +
                       " (prune, lowrank, quant, comma-separated)");
    }
    const auto method = TuneMethod(i);
    for (auto m : out) {
      if (m == method) throw InputError(field + ": " + key + " is listed twice");
    }
    out.push_back(method);
    begin = comma + 1;
  }
  return out;
}

std::vector<TunableLayer> method_layers(const PlanEvaluator& evaluator, TuneMethod method) {
  auto layers = evaluator.layers();
  if (method == TuneMethod::LowRank && layers.size() > 1) layers.pop_back();
  return layers;
}

std::vector<LayerSetting> curve_settings(const TunableLayer& layer, TuneMethod method) {
  std::vector<LayerSetting> out;
  switch (method) {
    case TuneMethod::Prune:
      for (double s : {0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7,
                       0.75, 0.8, 0.85, 0.9, 0.95}) {
        LayerSetting setting;
        setting.sparsity = s;
        out.push_back(setting);
      }
      break;
    case TuneMethod::LowRank: {
      int64_t previous = layer.max_rank();
      for (double ratio : {0.75, 0.5, 0.35, 0.25, 0.15, 0.1, 0.05, 0.02}) {
        const int64_t k = rank_for_ratio(layer.out, layer.in, ratio);
        if (k >= previous) continue;
        LayerSetting setting;
        setting.rank = k;
        out.push_back(setting);
        previous = k;
      }
      break;
    }
    case TuneMethod::Quant:
      for (int64_t bits : {8, 6, 5, 4, 3, 2}) {
        LayerSetting setting;
        setting.bits = bits;
        out.push_back(setting);
      }
      break;
  }
  return out;
}

std::optional<SensitivityCurves> sensitivity_curves(
    PlanEvaluator& evaluator, const std::vector<TuneMethod>& methods,
    const std::function<void(size_t, size_t)>& progress, const std::atomic<bool>* cancel) {
  const auto start = std::chrono::steady_clock::now();
  struct Job {
    TunableLayer layer;
    TuneMethod method;
    LayerSetting setting;
  };
  std::vector<Job> jobs;
  for (auto method : methods) {
    for (const auto& layer : method_layers(evaluator, method)) {
      for (const auto& s : curve_settings(layer, method)) jobs.push_back({layer, method, s});
    }
  }
  SensitivityCurves curves;
  auto dense = evaluator.evaluate({}, cancel);
  if (!dense) return std::nullopt;
  curves.dense = *dense;
  for (const auto& job : jobs) {
    CompressionPlan plan;
    plan.layers[job.layer.name] = job.setting;
    auto m = evaluator.evaluate(plan, cancel);
    if (!m) return std::nullopt;
    curves.points.push_back({job.layer.name, job.method, job.setting, m->accuracy, m->loss,
                             layer_cost(job.layer, job.setting)});
    if (progress) progress(curves.points.size(), jobs.size());
  }
  if (!evaluator.evaluate({}, cancel)) return std::nullopt;  // Leave the weights as trained.
  curves.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return curves;
}

}  // namespace slimlab
