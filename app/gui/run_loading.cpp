#include "run_loading.h"

#include <torch/torch.h>

#include <nlohmann/json.hpp>

#include "data/dataset.h"
#include "models/model_factory.h"
#include "prune/prunable.h"
#include "store/run_store.h"
#include "train/stored_model.h"
#include "train/trainer.h"

namespace slimlab {

RunData load_run_data(const std::string& store_path, int64_t run_id) {
  RunStore store(store_path, RunStore::Access::ReadOnly);
  auto run = store.get_run(run_id);
  RunData data;
  data.id = run.id;
  data.name = QString::fromStdString(run.name);
  data.status = QString::fromStdString(run.status);
  for (auto& row : store.metrics(run_id)) data.metrics[row.key].push_back(std::move(row));
  data.expert_load = store.expert_load(run_id);
  data.routing = store.routing_matrices(run_id);
  data.events = store.events(run_id);
  data.steps_per_epoch = guess_steps_per_epoch(data, run.spec_json);
  return data;
}

int64_t guess_steps_per_epoch(const RunData& run, const std::string& spec_json) {
  auto spec = nlohmann::json::parse(spec_json, nullptr, false);
  if (!spec.is_object() || spec["schedule"].value("eval_interval_steps", 0) != 0) return 0;
  const auto& validation = run.series("validation/loss");
  return validation.empty() ? 0 : validation.front().step;
}

WeightHistogram weight_histogram(const std::string& store_path, int64_t run_id) {
  WeightHistogram h;
  auto stored = load_finished_run(store_path, std::to_string(run_id), "run");
  if (!stored.spec.has_prune) return h;
  auto data = load_data(stored.spec.data, stored.spec.seed);
  auto model = make_model(stored.spec.model, data.sample_shape, data.classes);
  load_model_weights(*model.ptr(), stored.checkpoint);
  std::vector<torch::Tensor> kept;
  for (const auto& layer : select_layers(*model.ptr(), stored.spec.model, stored.spec.prune)) {
    auto w = layer.weight.detach().abs().flatten();
    kept.push_back(w.masked_select(w.gt(0)));
  }
  if (kept.empty()) return h;
  auto all = torch::cat(kept);
  if (all.numel() == 0) return h;
  h.threshold = all.min().item<double>();
  auto logs = all.log10();
  double lo = logs.min().item<double>(), hi = logs.max().item<double>() + 1e-9;
  const int bins = 60;
  auto counts = torch::histc(logs, bins, lo, hi);
  for (int i = 0; i <= bins; ++i) h.edges.push_back(lo + (hi - lo) * i / bins);
  for (int i = 0; i < bins; ++i) h.counts.push_back(counts[i].item<double>());
  return h;
}

}  // namespace slimlab
