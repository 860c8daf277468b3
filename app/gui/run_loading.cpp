#include "run_loading.h"

#include <torch/torch.h>

#include <nlohmann/json.hpp>

#include "data/dataset.h"
#include "models/features.h"
#include "models/model_factory.h"
#include "moe/moe_layer.h"
#include "prune/prunable.h"
#include "run_costs.h"
#include "spec/experiment_spec.h"
#include "store/run_store.h"
#include "train/stored_model.h"
#include "train/trainer.h"

namespace slimlab {

RunTraits run_traits(const ExperimentSpec& spec) {
  RunTraits t;
  t.known = true;
  t.moe = spec.model.kind == ModelKind::MoeMlp;
  t.prune = spec.has_prune;
  t.distill = spec.has_distill;
  // A CSV table may be 2 columns wide, but only the generated sets are known to be a plane
  // before the data is read; plane_map() checks the width itself.
  t.plane = !is_image_dataset(spec.data.dataset) && spec.data.dataset != DatasetKind::Csv;
  t.dataset = QString::fromLatin1(dataset_name(spec.data.dataset));
  return t;
}

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
  try {
    data.traits = run_traits(spec_from_json(parse_json_text(run.spec_json, "stored spec")));
  } catch (const std::exception&) {
    // A spec this version cannot read: every tab shows what it has (traits stay unknown).
  }
  return data;
}

std::vector<RunSummary> load_run_summaries(const std::string& store_path) {
  std::vector<RunSummary> out;
  RunStore store(store_path, RunStore::Access::ReadOnly);
  for (const auto& run : store.list_runs()) {
    RunSummary r;
    r.id = run.id;
    r.name = QString::fromStdString(run.name);
    r.kind = QString::fromStdString(run.kind);
    r.status = QString::fromStdString(run.status);
    r.created_ms = run.created_ms;
    if (auto acc = store.last_value(run.id, "test/accuracy")) r.test_accuracy = *acc;
    // The real cost, as `show --layers` counts it: from the stored summary and prune report.
    nlohmann::json summary, prune_report;
    for (const auto& e : store.events(run.id)) {
      if (e.kind == "summary") summary = nlohmann::json::parse(e.payload_json, nullptr, false);
      if (e.kind == "prune_report") {
        prune_report = nlohmann::json::parse(e.payload_json, nullptr, false);
      }
    }
    read_run_cost(r, summary, prune_report);
    for (const auto& [key, value] : store.last_values(run.id)) {
      r.last[QString::fromStdString(key)] = value;
    }
    for (const auto& tag : store.tags(run.id)) r.tags << QString::fromStdString(tag);
    r.note = QString::fromStdString(store.note(run.id));
    out.push_back(r);
  }
  return out;
}

ComparedRuns load_compared_runs(const std::string& store_path, const std::vector<qint64>& ids,
                                std::vector<RunSummary> all) {
  ComparedRuns c;
  c.all = std::move(all);
  try {
    RunStore store(store_path, RunStore::Access::ReadOnly);
    for (auto id : ids) {
      c.runs.push_back(load_run_data(store_path, id));
      c.specs.push_back(nlohmann::json::parse(store.get_run(id).spec_json, nullptr, false));
    }
  } catch (const std::exception& e) {
    c.error = QString::fromStdString(e.what());
  }
  return c;
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
  auto model = make_stored_model(stored, data.sample_shape, data.classes);
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

namespace slimlab {

PlaneMap plane_map(const std::string& store_path, int64_t run_id, int size) {
  PlaneMap m;
  auto stored = load_finished_run(store_path, std::to_string(run_id), "run");
  if (is_image_dataset(stored.spec.data.dataset)) return m;
  auto data = load_data(stored.spec.data, stored.spec.seed);
  if (data.sample_shape != std::vector<int64_t>{2}) return m;  // A CSV table of other widths.
  auto model = make_stored_model(stored, data.sample_shape, data.classes);
  load_model_weights(*model.ptr(), stored.checkpoint);
  model.ptr()->eval();
  torch::NoGradGuard no_grad;
  const auto& x = data.train.x;
  auto lo = std::get<0>(x.min(0)), hi = std::get<0>(x.max(0));
  auto margin = (hi - lo) * 0.08;
  lo = lo - margin;
  hi = hi + margin;
  m.x0 = lo[0].item<double>();
  m.x1 = hi[0].item<double>();
  m.y0 = lo[1].item<double>();
  m.y1 = hi[1].item<double>();
  auto xs = torch::linspace(m.x0, m.x1, size), ys = torch::linspace(m.y0, m.y1, size);
  auto grid = torch::stack({xs.repeat({size}), ys.repeat_interleave(size)}, 1);
  auto decision = model.forward(grid).argmax(1).to(torch::kInt32).contiguous();
  m.size = size;
  m.classes = int(data.classes);
  m.decision.assign(decision.data_ptr<int>(), decision.data_ptr<int>() + decision.numel());
  auto moe = find_moe_layers(*model.ptr());
  if (stored.spec.model.kind == ModelKind::MoeMlp && !moe.empty()) {
    torch::Tensor tokens;
    forward_with_features(*model.ptr(), grid, tokens, "input");  // What block0's router sees.
    auto expert = moe[0]->route(tokens).expert.select(1, 0).to(torch::kInt32).contiguous();
    m.experts = int(moe[0]->options.experts());
    m.expert.assign(expert.data_ptr<int>(), expert.data_ptr<int>() + expert.numel());
  }
  const int64_t shown = std::min<int64_t>(600, x.size(0));
  for (int64_t i = 0; i < shown; ++i) {
    m.px.push_back(x[i][0].item<double>());
    m.py.push_back(x[i][1].item<double>());
    m.label.push_back(int(data.train.y[i].item<int64_t>()));
  }
  return m;
}

}  // namespace slimlab
