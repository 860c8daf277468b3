#include "prune/prune_method.h"

namespace slimlab {

std::vector<MethodEvent> PruneMethod::before_step(int64_t step) {
  pruner_->at_step_start(step);
  if (!pruner_->is_prune_step(step)) return {};
  return {{"prune", pruner_->prune(step, optimizer_)}};
}

std::vector<std::pair<std::string, double>> PruneMethod::log_metrics(int64_t step) const {
  // The masks in force during the step that ended at `step` were made at the top of it.
  return pruner_->sparsity_metrics(step - 1);
}

void PruneMethod::save(torch::serialize::OutputArchive& checkpoint) const {
  torch::serialize::OutputArchive prune;
  pruner_->save(prune);
  checkpoint.write("prune", prune);
}

void PruneMethod::load(torch::serialize::InputArchive& checkpoint) {
  torch::serialize::InputArchive prune;
  checkpoint.read("prune", prune);
  pruner_->load(prune);
}

}  // namespace slimlab
