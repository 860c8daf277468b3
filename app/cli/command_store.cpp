// `slimlab-cli list`, `show` and `export`: read-only views of the run store.
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>

#include "commands.h"
#include "data/dataset.h"
#include "distill/safetensors.h"
#include "method/method_registry.h"
#include "models/model_factory.h"
#include "progress_bar.h"
#include "spec/experiment_spec.h"
#include "store/run_store.h"
#include "train/trainer.h"
#include "util/input_error.h"
#include "util/paths.h"

namespace slimlab::cli {
namespace {

std::string local_time(int64_t ms) {
  if (ms <= 0) return "-";
  std::time_t t = std::time_t(ms / 1000);
  std::tm tm{};
  localtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M", &tm);
  return buf;
}

std::string percent(std::optional<double> v) {
  if (!v) return "-";
  char buf[16];
  std::snprintf(buf, sizeof buf, "%.2f%%", 100 * *v);
  return buf;
}

/// Opens the store read-only, noting runs whose process has died first (needs a write).
std::unique_ptr<RunStore> open_for_reading(const std::string& path) {
  if (std::filesystem::exists(path)) {  // Reading never creates a store.
    try {
      RunStore writer(path, RunStore::Access::ReadWrite);
      writer.mark_interrupted_runs();
    } catch (const StoreError&) {
      // Read-only or missing: the read-only open below gives the message.
    }
  }
  return std::make_unique<RunStore>(path, RunStore::Access::ReadOnly);
}

nlohmann::json run_json(RunStore& store, const RunRow& run) {
  nlohmann::json j = {{"id", run.id},     {"uuid", run.uuid},     {"name", run.name},
                      {"kind", run.kind}, {"status", run.status}, {"created_ms", run.created_ms},
                      {"seed", run.seed}, {"error", run.error}};
  j["finished_ms"] = run.finished_ms > 0 ? nlohmann::json(run.finished_ms) : nullptr;
  for (const char* key : {"test/accuracy", "test/loss", "validation/accuracy"}) {
    auto v = store.last_value(run.id, key);
    j[key] = v ? nlohmann::json(*v) : nullptr;
  }
  return j;
}

}  // namespace

std::string store_path(const CliArgs& args) {
  return args.db.empty() ? default_store_path() : args.db;
}

int command_list(const CliArgs& args) {
  auto path = store_path(args);
  if (!std::filesystem::exists(path)) {
    if (args.json) {
      std::printf("[]\n");
    } else {
      std::printf(
          "No runs yet (no store at %s); start one with: "
          "slimlab-cli run experiments/mlp-fashion.json\n",
          path.c_str());
    }
    return kExitOk;
  }
  auto store = open_for_reading(path);
  auto runs = store->list_runs();
  if (args.json) {
    nlohmann::json all = nlohmann::json::array();
    for (const auto& run : runs) all.push_back(run_json(*store, run));
    std::printf("%s\n", all.dump().c_str());
    return kExitOk;
  }
  if (runs.empty()) {
    std::printf("No runs yet in %s; start one with: slimlab-cli run experiments/mlp-fashion.json\n",
                store->path().c_str());
    return kExitOk;
  }
  std::printf("%5s  %-24s %-11s %9s %9s  %-16s  %s\n", "ID", "NAME", "STATUS", "TEST ACC", "STEPS",
              "CREATED", "UUID");
  for (const auto& run : runs) {
    auto series = store->series(run.id, "train/loss");
    std::printf("%5lld  %-24.24s %-11s %9s %9lld  %-16s  %.8s\n", (long long)run.id,
                run.name.c_str(), run.status.c_str(),
                percent(store->last_value(run.id, "test/accuracy")).c_str(),
                series.empty() ? 0LL : (long long)series.back().step,
                local_time(run.created_ms).c_str(), run.uuid.c_str());
  }
  return kExitOk;
}

int command_show(const CliArgs& args) {
  if (args.positional.size() != 1) throw UsageError("show needs a run id (see slimlab-cli list)");
  auto store = open_for_reading(store_path(args));
  auto run = store->find_run(args.positional[0]);
  auto events = store->events(run.id);
  nlohmann::json summary;
  for (const auto& e : events) {
    if (e.kind == "summary") summary = nlohmann::json::parse(e.payload_json, nullptr, false);
  }
  if (args.json) {
    auto j = run_json(*store, run);
    j["spec"] = nlohmann::json::parse(run.spec_json, nullptr, false);
    j["env"] = nlohmann::json::parse(run.env_json, nullptr, false);
    j["summary"] = summary;
    if (args.experts) j["experts"] = experts_json(*store, run);
    if (args.layers) j["layers"] = layers_json(*store, run);
    std::printf("%s\n", j.dump().c_str());
    return kExitOk;
  }
  std::printf("Run %lld: %s\n", (long long)run.id, run.name.c_str());
  std::printf("  uuid      %s\n", run.uuid.c_str());
  std::printf("  status    %s%s%s\n", run.status.c_str(), run.error.empty() ? "" : " - ",
              run.error.c_str());
  std::printf("  created   %s   finished %s\n", local_time(run.created_ms).c_str(),
              local_time(run.finished_ms).c_str());
  std::printf("  seed      %lld\n", (long long)run.seed);
  if (summary.is_object()) {
    std::printf("  params    %lld (%lld active per sample), %lld MACs per sample\n",
                summary.value("params", 0LL), summary.value("params_active", 0LL),
                summary.value("macs_per_sample", 0LL));
    std::printf("  training  %lld steps, %.1f s, %.0f steps/s\n", summary.value("steps", 0LL),
                summary.value("train_seconds", 0.0), summary.value("steps_per_second", 0.0));
  }
  if (summary.is_object() && summary.contains("distill")) print_distill(summary["distill"]);
  if (summary.is_object() && summary.contains("prune")) print_prune_summary(summary["prune"]);
  print_method_summaries(summary);
  std::printf("  final metrics\n");
  std::string last_key;
  auto rows = store->metrics(run.id);
  for (size_t i = 0; i < rows.size(); ++i) {
    bool last_of_key = i + 1 == rows.size() || rows[i + 1].key != rows[i].key;
    if (last_of_key) {
      std::printf("    %-26s %12.6g  (step %lld)\n", rows[i].key.c_str(), rows[i].value,
                  (long long)rows[i].step);
    }
  }
  int checkpoints = 0;
  for (const auto& e : events) checkpoints += e.kind == "checkpoint";
  std::printf("  events    %zu (%d checkpoints)\n", events.size(), checkpoints);
  auto env = nlohmann::json::parse(run.env_json, nullptr, false);
  if (env.is_object()) {
    std::printf("  machine   LibTorch %s, %s, %d threads, host %s\n",
                env.value("torch", "?").c_str(), env.value("blas", "?").c_str(),
                env.value("threads", 0), env.value("host", "?").c_str());
  }
  auto spec = nlohmann::json::parse(run.spec_json, nullptr, false);
  std::string spec_text = spec.is_discarded() ? run.spec_json : spec.dump(2);
  for (size_t at = 0; (at = spec_text.find('\n', at)) != std::string::npos; at += 5) {
    spec_text.insert(at + 1, "    ");  // Indent the spec under its heading.
  }
  std::printf("  spec\n    %s\n", spec_text.c_str());
  if (args.experts) print_experts(*store, run);
  if (args.layers) print_layers(*store, run);
  return kExitOk;
}

int export_weights(RunStore& store, const RunRow& run, const std::string& path) {
  auto spec = spec_from_json(parse_json_text(run.spec_json, "run " + std::to_string(run.id)));
  auto checkpoint = store.latest_checkpoint(run.id);
  if (!checkpoint) {
    throw InputError("run " + std::to_string(run.id) + " kept no checkpoint to export");
  }
  // The architecture's input and class count come from the data it was trained on.
  auto data = load_data(spec.data, spec.seed);
  auto model = make_model(spec.model, data.sample_shape, data.classes);
  restructure_stored_model(model, spec.method_sections);  // Factorised layers, ...
  load_model_weights(*model.ptr(), checkpoint->bytes);
  std::map<std::string, torch::Tensor> tensors;
  for (const auto& p : model.ptr()->named_parameters()) tensors[p.key()] = p.value().detach();
  write_safetensors(path, tensors);
  std::printf("Wrote %zu tensors of run %lld (step %lld) to %s\n", tensors.size(),
              (long long)run.id, (long long)checkpoint->step, path.c_str());
  return kExitOk;
}

int command_export(const CliArgs& args) {
  if (args.positional.size() != 1 || (args.csv.empty() && args.safetensors.empty())) {
    throw UsageError(
        "export needs a run and a file: slimlab-cli export RUN --csv FILE "
        "(metrics) or --safetensors FILE (weights)");
  }
  auto store = open_for_reading(store_path(args));
  auto run = store->find_run(args.positional[0]);
  if (!args.safetensors.empty()) {
    export_weights(*store, run, args.safetensors);
    if (args.csv.empty()) return kExitOk;
  }
  auto rows = store->metrics(run.id);
  std::string tmp = args.csv + ".part";
  {
    std::ofstream out(tmp, std::ios::trunc);
    if (!out) throw InputError(args.csv + ": cannot write the CSV file here");
    out << "run,key,step,value\n";
    out.precision(9);
    for (const auto& r : rows)
      out << run.id << ',' << r.key << ',' << r.step << ',' << r.value << '\n';
    // Router series, one row per expert: moe/<layer>/load/e<expert> and .../importance/...
    for (const auto& row : store->expert_load(run.id)) {
      auto prefix = "moe/" + std::to_string(row.layer) + "/";
      for (size_t e = 0; e < row.load.size(); ++e) {
        out << run.id << ',' << prefix << "load/e" << e << ',' << row.step << ',' << row.load[e]
            << '\n';
        out << run.id << ',' << prefix << "importance/e" << e << ',' << row.step << ','
            << row.importance[e] << '\n';
      }
    }
    if (!out.flush()) throw InputError(args.csv + ": write failed (disk full?)");
  }
  // Written beside and renamed, so a failed export never leaves half a file.
  if (std::rename(tmp.c_str(), args.csv.c_str()) != 0) {
    throw InputError(args.csv + ": cannot replace the file");
  }
  std::printf("Wrote %zu rows of run %lld to %s\n", rows.size(), (long long)run.id,
              args.csv.c_str());
  return kExitOk;
}

}  // namespace slimlab::cli
