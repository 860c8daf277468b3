#include "train/record_keys.h"

namespace slimlab {

void for_each_metric(const StepRecord& r, const MetricSink& sink) {
  sink("train/loss", r.step, r.loss);
  sink("train/accuracy", r.step, r.accuracy);
  sink("train/lr", r.step, r.lr);
  sink("train/steps_per_second", r.step, r.steps_per_second);
  if (r.aux_loss != 0) sink("train/aux_loss", r.step, r.aux_loss);
  for (const auto& [key, value] : r.extra) sink(key, r.step, value);
}

void for_each_metric(const EvalRecord& r, const MetricSink& sink) {
  sink(r.split + "/loss", r.step, r.loss);
  sink(r.split + "/accuracy", r.step, r.accuracy);
  for (const auto& [key, value] : r.extra) sink(r.split + "/" + key, r.step, value);
}

void for_each_metric(const RouterRecord& r, const MetricSink& sink) {
  const std::string prefix = "moe/" + std::to_string(r.layer) + "/";
  sink(prefix + "load_cv", r.step, r.load_cv);
  sink(prefix + "max_over_mean", r.step, r.max_over_mean);
  sink(prefix + "gate_entropy", r.step, r.gate_entropy);
  sink(prefix + "dropped_share", r.step, r.dropped_share);
  sink(prefix + "dead_experts", r.step, double(r.dead_experts));
  sink(prefix + "balance_loss", r.step, r.balance_loss);
  sink(prefix + "importance_loss", r.step, r.importance_loss);
  sink(prefix + "z_loss", r.step, r.z_loss);
}

}  // namespace slimlab
