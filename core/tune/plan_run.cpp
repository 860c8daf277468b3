#include "tune/plan_run.h"

#include <nlohmann/json.hpp>

#include "train/stored_model.h"
#include "util/input_error.h"

namespace slimlab {

ExperimentSpec plan_spec(const std::string& store_path, const std::string& source_reference,
                         const CompressionPlan& plan, int64_t steps, const std::string& field) {
  if (steps < 1) {
    throw InputError(field + ": fine-tuning needs at least 1 step, got " + std::to_string(steps));
  }
  std::vector<std::string> pruned, factorised, quantised;
  nlohmann::json sparsity = nlohmann::json::object(), rank = nlohmann::json::object(),
                 bits = nlohmann::json::object();
  for (const auto& [name, s] : plan.layers) {
    if (s.sparsity && *s.sparsity > 0) {
      pruned.push_back(name);
      sparsity[name] = *s.sparsity;
    }
    if (s.rank) {
      factorised.push_back(name);
      rank[name] = *s.rank;
    }
    if (s.bits) {
      quantised.push_back(name);
      bits[name] = *s.bits;
    }
  }
  if (pruned.empty() && factorised.empty() && quantised.empty()) {
    throw InputError(field + ": the plan changes no layer; there is nothing to fine-tune");
  }
  if (!pruned.empty() && !quantised.empty()) {
    throw InputError(field +
                     ": a plan that both prunes and quantises cannot be fine-tuned as one run "
                     "yet (the quant method refuses a pruned network); fine-tune one method");
  }
  const auto source = load_finished_run(store_path, source_reference, field);
  const std::string from = std::to_string(source.run.id);
  auto j = spec_to_json(source.spec);
  j["name"] = source.spec.name + "-tuned";
  j["schedule"]["steps"] = steps;
  if (!pruned.empty()) {
    j["prune"] = {{"criterion", "magnitude"}, {"scope", "local"}, {"schedule", "one-shot"},
                  {"start_step", 0},          {"layers", pruned}, {"layer_sparsity", sparsity},
                  {"from_run", from}};
  }
  if (!factorised.empty()) {
    j["lowrank"] = {{"layers", factorised}, {"layer_rank", rank}, {"from_run", from}};
  }
  if (!quantised.empty()) {
    j["quant"] = {{"layers", quantised}, {"layer_bits", bits}, {"from_run", from}};
  }
  j["plan"] = plan_to_json(plan);
  try {
    return spec_from_json(j);
  } catch (const InputError& e) {
    throw InputError(field + ": " + e.what());
  }
}

RunOutcome run_plan(const std::string& store_path, const std::string& source_reference,
                    const CompressionPlan& plan, int64_t steps, RunObserver& observer,
                    const RunControl& control, const std::string& field) {
  return run_experiment(plan_spec(store_path, source_reference, plan, steps, field), store_path,
                        observer, control);
}

}  // namespace slimlab
