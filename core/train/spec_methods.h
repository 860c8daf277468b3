#pragma once

// The built-in compression methods, built from an experiment spec: the one place that knows
// which spec section makes which method (method/compression_method.h). Until each method reads
// its own spec section, adding a method means one entry here.

#include <functional>
#include <string>

#include "spec/experiment_spec.h"
#include "train/trainer.h"

namespace slimlab {

/// Adds to `trainer` the methods `spec` asks for, in the order the seam needs: distillation
/// first (it re-weights the task loss), then pruning. Teachers given by run name are loaded from
/// `store_path` and pinned in `spec` (their uuid); `on_phase` (may be empty) hears what is slow
/// ("loading the teacher and computing its outputs on the transfer set (54000 examples)").
/// Throws InputError naming the field (a teacher that does not fit the data, a prune schedule
/// that does not fit the run, ...). Call before Trainer::restore and Trainer::run.
void add_spec_methods(Trainer& trainer, ExperimentSpec& spec, const std::string& store_path,
                      const std::function<void(const std::string&)>& on_phase = {});

/// The run kind stored with a run: its methods' keys joined by "+" ("distill+prune"), or
/// "train" without any.
std::string run_kind(const Trainer& trainer);

}  // namespace slimlab
