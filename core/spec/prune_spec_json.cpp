// The "prune" object of a spec: criterion, scope, sparsity, schedule, rewind and measurement.
#include "spec/spec_json.h"

namespace slimlab::spec_json {

namespace {

const std::vector<std::string> kCriterionNames = {"magnitude", "random", "l1-norm",
                                                  "l2-norm",   "n:m",    "expert-load"};
const std::vector<std::string> kScopeNames = {"local", "global"};
const std::vector<std::string> kPruneScheduleNames = {"one-shot", "iterative", "agp"};

// Sparsities live in [0, 1): a layer with every weight gone passes nothing on.
void read_share(SpecReader& r, const char* key, double& out) {
  r.number(key, out, 0.0, 1.0);
  if (out >= 1.0) {
    throw InputError(r.path() + "." + key +
                     ": must be at least 0 and below 1 (a share of the weights), got 1");
  }
}

}  // namespace

PruneOptions read_prune(SpecReader r) {
  PruneOptions p;
  r.text_list("layers", p.layers, 256);
  p.criterion = read_enum(r, "criterion", p.criterion, kCriterionNames);
  p.scope = read_enum(r, "scope", p.scope, kScopeNames);
  read_share(r, "sparsity", p.sparsity);
  r.number_map("layer_sparsity", p.layer_sparsity, 0.0, 0.999999);
  read_share(r, "initial_sparsity", p.initial_sparsity);
  r.integer("n", p.n, 1, 64);
  r.integer("m", p.m, 1, 64);
  p.schedule = read_enum(r, "schedule", p.schedule, kPruneScheduleNames);
  r.integer("start_step", p.start_step, 0, 100000000);
  r.integer("frequency", p.frequency, 1, 100000000);
  r.integer("rounds", p.rounds, 1, 10000);
  r.boolean("rewind", p.rewind);
  r.integer("rewind_step", p.rewind_step, 0, 100000000);
  r.run_reference("from_run", p.from_run);
  r.number_list("sensitivity_sparsities", p.sensitivity_sparsities, 0.0, 0.999999, 1, 64);
  r.integer("latency_batch", p.latency_batch, 1, 65536);
  r.finish();
  const std::string where = r.path() + ".";
  if (p.criterion == PruneCriterion::NM) {
    if (p.n >= p.m) {
      throw InputError(where + "n: N:M keeps N of every M weights, so N must be below M; got " +
                       std::to_string(p.n) + ":" + std::to_string(p.m));
    }
    if (p.schedule != PruneSchedule::OneShot) {
      throw InputError(where + "schedule: an n:m pattern is applied whole; use \"one-shot\"");
    }
  }
  bool per_unit = is_structured(p.criterion) || p.criterion == PruneCriterion::ExpertLoad ||
                  p.criterion == PruneCriterion::NM;
  if (p.scope == PruneScope::Global && per_unit) {
    throw InputError(where + "scope: \"global\" ranks single weights across layers; " +
                     criterion_name(p.criterion) + " pruning is per layer, use \"local\"");
  }
  if (p.scope == PruneScope::Global && !p.layer_sparsity.empty()) {
    throw InputError(where + "layer_sparsity: per-layer sparsities need scope \"local\"");
  }
  if (p.schedule == PruneSchedule::Agp && p.initial_sparsity > p.sparsity) {
    throw InputError(where + "initial_sparsity: must not exceed sparsity (AGP only adds pruning)");
  }
  return p;
}

nlohmann::json prune_to_json(const PruneOptions& p) {
  return {{"layers", p.layers},
          {"criterion", kCriterionNames[size_t(p.criterion)]},
          {"scope", kScopeNames[size_t(p.scope)]},
          {"sparsity", p.sparsity},
          {"layer_sparsity", p.layer_sparsity},
          {"initial_sparsity", p.initial_sparsity},
          {"n", p.n},
          {"m", p.m},
          {"schedule", kPruneScheduleNames[size_t(p.schedule)]},
          {"start_step", p.start_step},
          {"frequency", p.frequency},
          {"rounds", p.rounds},
          {"rewind", p.rewind},
          {"rewind_step", p.rewind_step},
          {"from_run", p.from_run},
          {"sensitivity_sparsities", p.sensitivity_sparsities},
          {"latency_batch", p.latency_batch}};
}

}  // namespace slimlab::spec_json
