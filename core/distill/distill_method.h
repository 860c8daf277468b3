#pragma once

#include <memory>

#include "distill/distiller.h"
#include "method/compression_method.h"

namespace slimlab {

/// Knowledge distillation through the compression-method seam (method/compression_method.h):
/// a Distiller whose loss replaces the task loss with (1 - alpha) x CE + alpha x [T^2] x KL
/// (+ logit MSE, + hint losses; REFERENCES.md, "Knowledge distillation"). It must come first in
/// the trainer's list of methods, as it re-weights the task loss. Logs "train/kd_hard",
/// "train/kd_soft", "train/kd_mse" and "train/kd_hint" (when used), "distill/temperature" and
/// "distill/alpha"; every evaluation adds "teacher_accuracy", "agreement" and "mean_kl" (and
/// "agreement/class<c>" at the end); the hint projections learn with the student and go into
/// checkpoints under "hints".
class DistillMethod : public CompressionMethod {
 public:
  explicit DistillMethod(std::unique_ptr<Distiller> distiller) : distiller_(std::move(distiller)) {}

  const char* key() const override { return "distill"; }
  /// Caches the teachers' outputs on the transfer set (data.train), builds the hint
  /// projections and adds them to the optimiser. Throws InputError naming the hint or teacher.
  void prepare(const MethodSetup& setup) override;
  std::vector<std::string> feature_layers() const override;
  torch::Tensor loss(const StepBatch& batch, const StepOutputs& outputs,
                     const torch::Tensor& task_loss, torch::Tensor total,
                     LossTerms& terms) override;
  /// The hint projections' weights and biases.
  std::vector<std::pair<std::string, torch::Tensor>> named_parameters() const override;
  bool wants_eval_logits() const override { return true; }
  std::vector<std::pair<std::string, double>> evaluate(const torch::Tensor& logits,
                                                       const TensorDataset& split,
                                                       const std::string& split_name,
                                                       bool final) override;
  void save(torch::serialize::OutputArchive& checkpoint) const override;
  void load(torch::serialize::InputArchive& checkpoint) override;

  Distiller& distiller() { return *distiller_; }

 private:
  std::unique_ptr<Distiller> distiller_;
  int64_t classes_ = 0;
};

}  // namespace slimlab
