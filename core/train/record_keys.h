#pragma once

#include <functional>
#include <string>

#include "train/train_observer.h"

namespace slimlab {

/// The metric keys a record is stored under, shared by the store recorder and the GUI's live
/// bridge so both name the same curve the same way.
using MetricSink = std::function<void(const std::string& key, int64_t step, double value)>;

/// train/loss, train/accuracy, train/lr, train/steps_per_second, train/aux_loss (MoE) and the
/// record's extras (train/kd_*, sparsity/*, ...).
void for_each_metric(const StepRecord& r, const MetricSink& sink);
/// <split>/loss, <split>/accuracy and <split>/<extra>.
void for_each_metric(const EvalRecord& r, const MetricSink& sink);
/// moe/<layer>/load_cv, max_over_mean, gate_entropy, dropped_share, dead_experts and the losses.
void for_each_metric(const RouterRecord& r, const MetricSink& sink);

}  // namespace slimlab
