// `slimlab-cli sensitivity` and `show RUN --layers`: what pruning did, layer by layer.
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>

#include "commands.h"
#include "interrupt_guard.h"
#include "method/method_registry.h"
#include "models/model_factory.h"
#include "progress_bar.h"
#include "prune/prune_report.h"
#include "train/sensitivity_session.h"
#include "train/stored_model.h"
#include "train/trainer.h"
#include "util/input_error.h"

namespace slimlab::cli {
namespace {

std::string shape_text(const nlohmann::json& shape) {
  std::string text;
  for (const auto& d : shape) text += (text.empty() ? "" : "x") + std::to_string(d.get<int64_t>());
  return text.empty() ? "-" : text;
}

void print_table(const nlohmann::json& table) {
  std::printf("  %-18s %-14s %10s %10s %9s %10s %12s %12s\n", "layer", "shape", "params",
              "nonzeros", "sparsity", "weight sp.", "MACs", "nonzero MACs");
  std::printf(
      "  (params and nonzeros count weights and biases; sparsity = 1 - nonzeros / params;\n"
      "   weight sp. = zeros of the weight tensor alone, what masks act on; total = the rows' "
      "sums)\n");
  auto row = [](const nlohmann::json& r, const std::string& name, const std::string& shape) {
    // Tables stored before weight_sparsity existed show "-", as the (other) row does.
    char weight_sparsity[16] = "-";
    if (r.contains("weight_sparsity")) {
      std::snprintf(weight_sparsity, sizeof weight_sparsity, "%.2f%%",
                    100 * r.value("weight_sparsity", 0.0));
    }
    std::printf("  %-18.18s %-14.14s %10lld %10lld %8.2f%% %10s %12lld %12lld\n", name.c_str(),
                shape.c_str(), r.value("params", 0LL), r.value("nonzeros", 0LL),
                100 * r.value("sparsity", 0.0), weight_sparsity, r.value("macs", 0LL),
                r.value("nonzero_macs", 0LL));
  };
  for (const auto& r : table["layers"]) row(r, r.value("name", "?"), shape_text(r["shape"]));
  row(table["totals"], "total", "");
  std::printf("  bytes     %lld dense (float32), %lld in CSR (float32 values, int32 indices)\n",
              table["bytes"].value("dense", 0LL), table["bytes"].value("csr", 0LL));
}

// Loads a finished run's weights and tabulates them (runs without a prune report).
nlohmann::json computed_table(RunStore& store, const RunRow& run) {
  auto stored = load_finished_run(store.path(), std::to_string(run.id), "run");
  Trainer trainer(stored.spec, load_data(stored.spec.data, stored.spec.seed));
  restructure_stored_model(trainer.model(), stored.spec.method_sections);
  load_model_weights(trainer.module(), stored.checkpoint);
  return layer_table(trainer.module(), stored.spec.model, trainer.data().sample_shape);
}

// The layers the one-weight floor held back and those N:M skipped, from a prune summary or
// report; nothing when there are none.
void print_prune_notes(const nlohmann::json& p) {
  if (p.contains("floored_layers") && !p["floored_layers"].empty()) {
    std::printf("  floor     every layer keeps at least one weight (unit); it held back:\n");
    for (const auto& f : p["floored_layers"]) {
      std::printf("    %-18s kept %lld of %lld %s (step %lld asked to prune %lld)\n",
                  f.value("name", "?").c_str(), f.value("kept", 0LL), f.value("size", 0LL),
                  f.value("unit", "weights").c_str(), f.value("step", 0LL), f.value("asked", 0LL));
    }
  }
  if (p.contains("skipped_layers") && !p["skipped_layers"].empty()) {
    std::printf("  skipped   n:m left these layers dense (input width not a multiple of M):\n");
    for (const auto& l : p["skipped_layers"]) {
      std::printf("    %-18s %lld inputs, M = %lld\n", l.value("name", "?").c_str(),
                  l.value("inputs", 0LL), l.value("m", 0LL));
    }
  }
}

}  // namespace

void print_prune_summary(const nlohmann::json& p) {
  if (p.contains("report_error")) {
    std::printf("  pruning   the report failed: %s\n", p.value("report_error", "?").c_str());
    return;
  }
  std::printf(
      "  pruning   %s: mask sparsity %.2f%% (of the pruned layers' weights), %lld of %lld "
      "parameters non-zero (all weights and biases)\n",
      p.value("criterion", "?").c_str(), 100 * p.value("mask_sparsity", 0.0),
      p.value("nonzeros", 0LL), p.value("params_dense", 0LL));
  print_prune_notes(p);
  std::printf("  physical  %lld parameters, %lld MACs per sample (dense: %lld, %lld)\n",
              p.value("params_physical", 0LL), p.value("macs_physical", 0LL),
              p.value("params_dense", 0LL), p.value("macs_dense", 0LL));
  std::printf("  bytes     %lld dense, %lld as CSR\n", p.value("bytes_dense", 0LL),
              p.value("bytes_csr", 0LL));
  std::printf("  latency   batch %lld: dense %.3f ms, masked %.3f ms",
              p.value("latency_batch", 0LL), p.value("latency_dense_ms", 0.0),
              p.value("latency_masked_ms", 0.0));
  if (p.contains("latency_shrunk_ms")) {
    std::printf(", shrunk %.3f ms (max output difference %.2g)", p.value("latency_shrunk_ms", 0.0),
                p.value("shrunk_max_abs_diff", 0.0));
  }
  std::printf(": %.2fx\n", p.value("speedup", 0.0));
  if (p.contains("dense_accuracy")) {
    std::printf("  accuracy  pruned %.2f%%, dense run %lld %.2f%%: %+.2f points\n",
                100 * p.value("test_accuracy", 0.0), p.value("baseline_run", 0LL),
                100 * p.value("dense_accuracy", 0.0), -100 * p.value("accuracy_drop", 0.0));
  } else {
    std::printf("  accuracy  no dense run of this spec yet: add --baseline to compare\n");
  }
}

nlohmann::json layers_json(RunStore& store, const RunRow& run) {
  nlohmann::json j;
  for (const auto& e : store.events(run.id)) {
    if (e.kind == "prune_report")
      j["report"] = nlohmann::json::parse(e.payload_json, nullptr, false);
  }
  j["table"] = j.contains("report") ? j["report"]["table"] : computed_table(store, run);
  return j;
}

void print_layers(RunStore& store, const RunRow& run) {
  auto j = layers_json(store, run);
  std::printf("  layers%s\n", j.contains("report") ? " (after pruning)" : "");
  print_table(j["table"]);
  if (!j.contains("report")) return;
  const auto& r = j["report"];
  const auto& l = r["latency"];
  std::string masked;
  for (const auto& name : r.value("mask_layers", nlohmann::json::array())) {
    masked += (masked.empty() ? "" : ", ") + name.get<std::string>();
  }
  std::printf(
      "  reality   mask sparsity %.2f%%: masked-out entries of the %lld weights of %s "
      "(weight tensors only, no biases)\n",
      100 * r.value("mask_sparsity", 0.0), r.value("mask_weights", 0LL),
      masked.empty() ? "the pruned layers" : masked.c_str());
  for (const char* network : {"before", "masked", "shrunk"}) {
    if (!r.contains(network)) continue;
    const auto& n = r[network];
    std::printf("    %-7s %10lld params %10lld non-zero %12lld MACs %10lld bytes", network,
                n.value("params", 0LL), n.value("nonzeros", 0LL), n.value("macs", 0LL),
                n.value("bytes_dense", 0LL));
    if (l.contains(network == std::string("before") ? "dense" : network)) {
      const auto& t = l[network == std::string("before") ? "dense" : network];
      std::printf("  %.3f ms (p10 %.3f, p90 %.3f)", t.value("median_ms", 0.0),
                  t.value("p10_ms", 0.0), t.value("p90_ms", 0.0));
    }
    std::printf("\n");
  }
  std::printf("  latency   batch %lld, %lld LibTorch / %lld BLAS threads; speed-up %.2fx\n",
              l.value("batch", 0LL), l.value("torch_threads", 0LL), l.value("blas_threads", 0LL),
              r.value("speedup", 0.0));
  print_prune_notes(r);
}

int command_sensitivity(const CliArgs& args) {
  if (args.positional.size() != 1) {
    throw UsageError(
        "sensitivity needs one spec file with a \"prune\" section, e.g. "
        "slimlab-cli sensitivity experiments/prune-sensitivity.json");
  }
  auto spec = load_spec(args.positional[0], args.sets);
  auto store = store_path(args);
  RunControl control;
  InterruptGuard guard(control);
  ProgressBar progress(!args.quiet);
  auto outcome =
      run_sensitivity(spec, store, progress, control, args.retrain, [&](size_t done, size_t total) {
        if (!args.quiet) {
          std::fprintf(stderr, "\rsensitivity %zu/%zu", done, total);
        }
      });
  progress.finish();
  if (!args.quiet) std::fprintf(stderr, "\n");
  std::printf("Sensitivity of run %lld (%s)%s, %s, on the %s split:\n", (long long)outcome.run_id,
              outcome.run_name.c_str(), outcome.trained_now ? ", trained now" : "",
              criterion_name(spec.prune.criterion), outcome.split.c_str());
  std::string layer;
  for (const auto& r : outcome.rows) {
    if (r.layer != layer) std::printf("  %s\n", (layer = r.layer).c_str());
    std::printf("    sparsity %5.1f%%  accuracy %6.2f%%  loss %.4f\n", 100 * r.sparsity,
                100 * r.accuracy, r.loss);
  }
  if (!args.csv.empty()) {
    std::ofstream out(args.csv);
    out << "layer,sparsity,accuracy,loss\n";
    for (const auto& r : outcome.rows) {
      out << r.layer << ',' << r.sparsity << ',' << r.accuracy << ',' << r.loss << '\n';
    }
    if (!out) throw InputError("--csv: cannot write " + args.csv);
    std::printf("  written to %s\n", args.csv.c_str());
  }
  if (args.json) {
    nlohmann::json rows = nlohmann::json::array();
    for (const auto& r : outcome.rows) {
      rows.push_back({{"layer", r.layer},
                      {"sparsity", r.sparsity},
                      {"accuracy", r.accuracy},
                      {"loss", r.loss}});
    }
    std::printf("%s\n", nlohmann::json{{"run_id", outcome.run_id},
                                       {"split", outcome.split},
                                       {"criterion", criterion_name(spec.prune.criterion)},
                                       {"rows", rows}}
                            .dump()
                            .c_str());
  }
  return kExitOk;
}

}  // namespace slimlab::cli
