#pragma once
// A compression plan made into a run: the plan applied to a finished run's weights and
// fine-tuned through the ordinary run session (one path for every run), the plan kept in the
// run's own spec.
#include <cstdint>
#include <string>

#include "spec/experiment_spec.h"
#include "train/run_session.h"
#include "tune/compression_plan.h"

namespace slimlab {

/// The spec of a run that applies `plan` to the finished run `source_reference` (name, id or
/// uuid prefix, in `store_path`) and fine-tunes it for `steps` optimiser steps: the source's spec
/// named "<name>-tuned", with one method section per method the plan uses, each starting from the
/// source's weights (from_run = its id) and pinned per layer: prune = magnitude, local, one-shot
/// before the first step, `layer_sparsity`; lowrank = `layer_rank`; quant = `layer_bits`,
/// symmetric, per-channel, min-max (the plan evaluator's arithmetic); and the plan itself as the
/// "plan" section (tune/plan_method.cpp), so the run keeps it. Throws InputError naming `field`
/// for an empty plan, a plan that both prunes and quantises (the quant method refuses a pruned
/// network), or steps < 1; and as the method sections do for a plan that does not fit.
ExperimentSpec plan_spec(const std::string& store_path, const std::string& source_reference,
                         const CompressionPlan& plan, int64_t steps, const std::string& field);

/// Runs plan_spec() in the store (parent = the source run). Calls back on this thread as
/// run_experiment does.
RunOutcome run_plan(const std::string& store_path, const std::string& source_reference,
                    const CompressionPlan& plan, int64_t steps, RunObserver& observer,
                    const RunControl& control, const std::string& field);

}  // namespace slimlab
