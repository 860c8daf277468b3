// `slimlab-cli tune RUN`: Tune's instrument for scripts. Sensitivity curves of a finished run,
// a per-layer plan under a budget (AIMET's greedy selection) against the uniform setting of the
// same budget, or one given plan evaluated; --apply fine-tunes the plan as a child run.
#include <unistd.h>

#include <cstdio>
#include <nlohmann/json.hpp>

#include "commands.h"
#include "interrupt_guard.h"
#include "progress_bar.h"
#include "tune/budget_allocation.h"
#include "tune/plan_run.h"
#include "util/number_text.h"

namespace slimlab::cli {
namespace {

nlohmann::json metrics_json(const PlanMetrics& m) {
  return {{"accuracy", m.accuracy}, {"loss", m.loss},      {"params", m.cost.params},
          {"bytes", m.cost.bytes},  {"macs", m.cost.macs}, {"eval_ms", m.eval_ms}};
}

void print_metrics_header() {
  std::printf("  %-36s %9s %8s %11s %11s %11s\n", "", "accuracy", "loss", "params", "bytes",
              "MACs");
}

void print_metrics(const std::string& label, const PlanMetrics& m, const PlanCost& dense) {
  auto share = [](int64_t part, int64_t whole) { return 100.0 * double(part) / double(whole); };
  std::printf("  %-36s %8.2f%% %8.4f %11s %11s %11s\n", label.c_str(), 100 * m.accuracy, m.loss,
              thousands(m.cost.params).c_str(), thousands(m.cost.bytes).c_str(),
              thousands(m.cost.macs).c_str());
  if (m.cost.params != dense.params || m.cost.bytes != dense.bytes || m.cost.macs != dense.macs) {
    std::printf("  %-36s %9s %8s %10.1f%% %10.1f%% %10.1f%%\n", "", "", "",
                share(m.cost.params, dense.params), share(m.cost.bytes, dense.bytes),
                share(m.cost.macs, dense.macs));
  }
}

void print_plan(const PlanEvaluator& evaluator, const CompressionPlan& plan) {
  std::printf("  %-14s %-22s %21s\n", "layer", "setting", "params kept");
  for (const auto& layer : evaluator.layers()) {
    auto it = plan.layers.find(layer.name);
    const LayerSetting s = it == plan.layers.end() ? LayerSetting{} : it->second;
    const auto before = layer_cost(layer, {}), after = layer_cost(layer, s);
    std::printf("  %-14s %-22s %9s / %-9s\n", layer.name.c_str(), describe_setting(s).c_str(),
                thousands(after.params).c_str(), thousands(before.params).c_str());
  }
}

PlanMetrics evaluated(PlanEvaluator& evaluator, const CompressionPlan& plan) {
  auto m = evaluator.evaluate(plan);
  if (!m) throw std::runtime_error("tune: cancelled");
  return *m;
}

}  // namespace

int command_tune(const CliArgs& args) {
  if (args.positional.size() != 1) {
    throw UsageError(
        "tune needs one finished run, e.g. slimlab-cli tune 3 --target params=0.25 (see "
        "slimlab-cli list)");
  }
  if (args.target.empty() && args.plan.empty()) {
    throw UsageError("tune needs --target axis=share (e.g. params=0.25) or --plan FILE");
  }
  if (!args.target.empty() && !args.plan.empty()) {
    throw UsageError("tune takes --target or --plan FILE, not both");
  }
  if (args.apply && args.finetune_steps == 0) {
    throw UsageError("--apply needs --finetune-steps N (optimiser steps of fine-tuning, e.g. 500)");
  }
  if (args.finetune_steps < 0 || (args.apply && args.finetune_steps < 1)) {
    throw UsageError("--finetune-steps: must be at least 1, got " +
                     std::to_string(args.finetune_steps));
  }
  if (!args.apply && args.finetune_steps != 0) {
    throw UsageError("--finetune-steps goes with --apply (fine-tune the plan as a child run)");
  }
  const auto methods = parse_tune_methods(args.methods, "--methods");
  const auto store = store_path(args);
  // Everything a user typed is checked before the first evaluation.
  std::optional<Budget> budget;
  CompressionPlan given;
  if (!args.target.empty()) {
    budget = parse_budget(args.target, "--target");
    check_budget_methods(*budget, methods, "--target");
  }
  if (!args.plan.empty()) given = read_plan_file(args.plan);

  PlanEvaluator evaluator(store, args.positional[0], args.samples);
  evaluator.check(given, args.plan.empty() ? "plan" : args.plan);
  // A plan that cannot become a run is refused before anything is evaluated.
  if (args.apply && !args.plan.empty()) {
    plan_spec(store, std::to_string(evaluator.run_id()), given, args.finetune_steps, "--apply");
  }
  const auto dense = evaluated(evaluator, {});
  const auto dense_cost = dense.cost;
  nlohmann::json out = {{"run_id", evaluator.run_id()},
                        {"run_name", evaluator.run_name()},
                        {"split", evaluator.split()},
                        {"samples", evaluator.samples()},
                        {"as_trained", metrics_json(dense)}};
  if (!args.json) {
    std::printf("Tune run %lld (%s) on %s %s example%s%s\n", (long long)evaluator.run_id(),
                evaluator.run_name().c_str(), thousands(evaluator.samples()).c_str(),
                evaluator.split().c_str(), evaluator.samples() == 1 ? "" : "s",
                evaluator.samples() < args.samples ? " (all the split holds)" : "");
  }
  CompressionPlan chosen = given;
  if (budget) {
    // A counter redrawn in place on a terminal; nothing in a log.
    const bool progress = !args.quiet && !args.json && isatty(fileno(stderr));
    auto curves = sensitivity_curves(evaluator, methods, [&](size_t done, size_t total) {
      if (progress) std::fprintf(stderr, "\rsensitivity curves %zu/%zu", done, total);
    });
    if (progress) std::fprintf(stderr, "\n");
    if (!curves) throw std::runtime_error("tune: cancelled");
    const auto allocation = allocate_budget(evaluator, *curves, methods, *budget, "--target");
    chosen = allocation.plan;
    const auto plan_metrics = evaluated(evaluator, chosen);
    nlohmann::json points = nlohmann::json::array();
    for (const auto& p : curves->points) {
      points.push_back({{"layer", p.layer},
                        {"method", tune_method_key(p.method)},
                        {"setting", plan_to_json({{{p.layer, p.setting}}})["layers"][p.layer]},
                        {"accuracy", p.accuracy},
                        {"loss", p.loss},
                        {"params", p.layer_cost.params},
                        {"bytes", p.layer_cost.bytes},
                        {"macs", p.layer_cost.macs}});
    }
    out["budget"] = {{"target", describe_budget(*budget)},
                     {"limit", budget_limit(evaluator, *budget)}};
    out["curves"] = {{"seconds", curves->seconds}, {"points", points}};
    out["plan"] = plan_to_json(chosen);
    out["plan_metrics"] = metrics_json(plan_metrics);
    out["threshold"] = allocation.threshold;
    out["uniform"] = nlohmann::json::array();
    std::vector<std::pair<std::string, PlanMetrics>> uniform;
    for (const auto& u : uniform_plans(evaluator, methods, *budget)) {
      const auto m = evaluated(evaluator, u.plan);
      uniform.emplace_back("uniform " + std::string(tune_method_key(u.method)) + " " + u.setting,
                           m);
      auto j = metrics_json(m);
      j["method"] = tune_method_key(u.method);
      j["setting"] = u.setting;
      j["plan"] = plan_to_json(u.plan);
      out["uniform"].push_back(j);
    }
    if (!args.json) {
      std::printf("Sensitivity curves: %zu evaluations (%s) in %.1f s\n", curves->points.size(),
                  args.methods.c_str(), curves->seconds);
      const char* unit[] = {"parameters", "bytes", "MACs"};
      std::printf("Budget %s: at most %s %s\n", describe_budget(*budget).c_str(),
                  thousands(budget_limit(evaluator, *budget)).c_str(), unit[int(budget->axis)]);
      std::printf("Plan (AIMET greedy: each layer's setting kept >= %.2f%% accuracy alone):\n",
                  100 * allocation.threshold);
      print_plan(evaluator, chosen);
      std::printf("\n");
      print_metrics_header();
      print_metrics("as trained", dense, dense_cost);
      print_metrics("plan", plan_metrics, dense_cost);
      for (const auto& [label, m] : uniform) print_metrics(label, m, dense_cost);
      if (uniform.empty()) {
        std::printf("  (no single method meets %s with one setting for every layer)\n",
                    describe_budget(*budget).c_str());
      }
    }
  } else {
    const auto m = evaluated(evaluator, chosen);
    out["plan"] = plan_to_json(chosen);
    out["plan_metrics"] = metrics_json(m);
    if (!args.json) {
      std::printf("Plan %s:\n", args.plan.c_str());
      print_plan(evaluator, chosen);
      std::printf("\n");
      print_metrics_header();
      print_metrics("as trained", dense, dense_cost);
      print_metrics("plan", m, dense_cost);
    }
  }
  if (!args.apply) {
    if (args.json) {
      std::printf("%s\n", out.dump().c_str());
    } else {
      std::printf("Fine-tune it as a child run: add --apply --finetune-steps N\n");
    }
    return kExitOk;
  }
  const auto spec =
      plan_spec(store, std::to_string(evaluator.run_id()), chosen, args.finetune_steps, "--apply");
  RunControl control;
  InterruptGuard guard(control);
  ProgressBar progress(!args.quiet && !args.json);
  if (!args.json) {
    std::printf("\nFine-tuning the plan for %lld steps from run %lld\n",
                (long long)args.finetune_steps, (long long)evaluator.run_id());
  }
  auto outcome = run_experiment(spec, store, progress, control);
  progress.finish();
  if (!args.json) return report_run(outcome, store, false);
  out["applied"] = {{"run_id", outcome.run_id}, {"status", status_name(outcome.result.status)}};
  if (outcome.result.status == RunStatus::Finished) {
    out["applied"]["test_accuracy"] = outcome.result.test_accuracy;
    out["applied"]["test_loss"] = outcome.result.test_loss;
  }
  std::printf("%s\n", out.dump().c_str());
  return outcome.result.status == RunStatus::Finished    ? kExitOk
         : outcome.result.status == RunStatus::Cancelled ? kExitCancelled
                                                         : kExitRunFailed;
}

}  // namespace slimlab::cli
