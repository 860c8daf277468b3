#pragma once

// The compression methods an experiment spec asks for, built and added to a trainer: distillation
// and pruning by name (not registered yet), then every registered method whose section the spec
// holds (method/method_registry.h), in registry order.

#include <functional>
#include <string>

#include "spec/experiment_spec.h"
#include "train/trainer.h"

namespace slimlab {

/// Adds to `trainer` the methods `spec` asks for, in the order the seam needs: distillation
/// first (it re-weights the task loss), then pruning, then the registered methods. Teachers and
/// runs to start from, given by name, are loaded from `store_path` and pinned in `spec` (their
/// uuid), as is what a registered method's factory pins in its section (e.g. chosen ranks);
/// `on_phase` (may be empty) hears what is slow ("loading the teacher and computing its outputs
/// on the transfer set (54000 examples)"). Returns the id of the run a registered method started
/// from (its weights), 0 for none. Throws InputError naming the field (a teacher that does not
/// fit the data, a prune schedule that does not fit the run, ...). Call before Trainer::restore
/// and Trainer::run.
int64_t add_spec_methods(Trainer& trainer, ExperimentSpec& spec, const std::string& store_path,
                         const std::function<void(const std::string&)>& on_phase = {});

/// The run kind stored with a run: its methods' keys joined by "+" ("distill+prune"), or
/// "train" without any.
std::string run_kind(const Trainer& trainer);

}  // namespace slimlab
