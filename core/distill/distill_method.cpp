#include "distill/distill_method.h"

#include <stdexcept>

#include "data/dataset.h"

namespace slimlab {

void DistillMethod::prepare(const MethodSetup& setup) {
  classes_ = setup.data.classes;
  distiller_->prepare(setup.data, setup.model);
  auto hint_params = distiller_->projections().parameters();
  if (!hint_params.empty()) {
    // The projections learn with the student, under the same optimiser settings.
    setup.optimizer.add_param_group(torch::optim::OptimizerParamGroup(hint_params));
  }
}

std::vector<std::string> DistillMethod::feature_layers() const {
  return distiller_->uses_features() ? distiller_->student_layers() : std::vector<std::string>{};
}

torch::Tensor DistillMethod::loss(const StepBatch& batch, const StepOutputs& outputs,
                                  const torch::Tensor& task_loss, torch::Tensor total,
                                  LossTerms& terms) {
  if (!total.is_same(task_loss)) {
    // Its loss replaces the task term: another method's terms before it would be dropped.
    throw std::logic_error("distillation must be the first compression method of a trainer");
  }
  auto d = distiller_->loss(outputs.logits, task_loss, outputs.features, batch.x, batch.y,
                            batch.index, double(batch.step) / double(batch.total_steps));
  terms.named.emplace_back("distillation soft (KL) loss", d.soft);
  terms.named.emplace_back("distillation hint loss", d.hint);
  terms.named.emplace_back("distillation logit MSE", d.mse);
  if (distiller_->uses_features()) terms.log("train/kd_hint", d.hint);
  if (distiller_->options().logit_mse > 0) terms.log("train/kd_mse", d.mse);
  terms.log("train/kd_hard", d.hard);
  terms.log("train/kd_soft", d.soft);
  terms.log("distill/temperature", d.temperature);
  terms.log("distill/alpha", d.alpha);
  return d.total;
}

std::vector<std::pair<std::string, torch::Tensor>> DistillMethod::named_parameters() const {
  std::vector<std::pair<std::string, torch::Tensor>> out;
  for (const auto& p : distiller_->projections().named_parameters()) {
    out.emplace_back(p.key(), p.value());
  }
  return out;
}

std::vector<std::pair<std::string, double>> DistillMethod::evaluate(const torch::Tensor& logits,
                                                                    const TensorDataset& split,
                                                                    const std::string& split_name,
                                                                    bool final) {
  if (!logits.defined() || logits.numel() == 0) return {};
  auto d = distiller_->evaluate(logits, split, split_name, classes_);
  std::vector<std::pair<std::string, double>> figures = {
      {"teacher_accuracy", d.teacher_accuracy}, {"agreement", d.agreement}, {"mean_kl", d.mean_kl}};
  if (final) {
    for (size_t c = 0; c < d.class_agreement.size(); ++c) {
      figures.emplace_back("agreement/class" + std::to_string(c), d.class_agreement[c]);
    }
  }
  return figures;
}

void DistillMethod::save(torch::serialize::OutputArchive& checkpoint) const {
  if (!distiller_->uses_features()) return;
  torch::serialize::OutputArchive hints;
  distiller_->projections().save(hints);
  checkpoint.write("hints", hints);
}

void DistillMethod::load(torch::serialize::InputArchive& checkpoint) {
  if (!distiller_->uses_features()) return;
  torch::serialize::InputArchive hints;
  checkpoint.read("hints", hints);
  distiller_->projections().load(hints);
}

}  // namespace slimlab
