#pragma once

#include <map>
#include <memory>
#include <vector>

#include "data/dataset.h"
#include "distill/distill_options.h"
#include "distill/teacher.h"

#include <torch/nn/modules/linear.h>

namespace slimlab {

/// The parts of one step's distillation loss (coefficients applied).
struct DistillLoss {
  torch::Tensor total;
  double hard = 0;  ///< (1 - alpha) * CE
  double soft = 0;  ///< alpha * [T^2] * KL
  double mse = 0;   ///< logit_mse * ||z_t - z_s||^2
  double hint = 0;  ///< Sum of the feature matches' weighted losses.
  double temperature = 0;
  double alpha = 0;
};

/// How a student compares with its teachers on a held-out split.
struct DistillEval {
  double teacher_accuracy = 0;  ///< Of the combined teacher (weighted average of probabilities).
  double agreement = 0;         ///< Share of examples where student and teacher top-1 agree.
  double mean_kl = 0;           ///< Mean KL(p_t || p_s) at T = 1.
  std::vector<double> class_agreement;  ///< Agreement per true class.
};

/// Teachers plus the loss recipe; used by the trainer on the training thread.
class Distiller {
 public:
  Distiller(DistillOptions options, std::vector<std::unique_ptr<Teacher>> teachers);

  /// Caches the teachers' logits (and hint features) on the training split (when
  /// options.cache_teacher_logits), and builds the hint projections for `student`.
  void prepare(const DataSplits& data, torch::nn::Module& student);
  bool uses_features() const { return !options_.hints.empty(); }
  /// The student layer of each hint, in order.
  std::vector<std::string> student_layers() const;
  /// The learned hint projections (trained with the student; saved in its checkpoints).
  torch::nn::Module& projections() { return *projections_; }
  /// The loss for student logits on training examples `index` (rows of data.train) at training
  /// `progress` 0..1.
  /// `student_features[i]` is the student's output at hint i's layer (when uses_features()).
  /// `cross_entropy` is CE(y, p_s), which the caller has already computed.
  DistillLoss loss(const torch::Tensor& student_logits, const torch::Tensor& cross_entropy,
                   const std::vector<torch::Tensor>& student_features, const torch::Tensor& x,
                   const torch::Tensor& y, const torch::Tensor& index, double progress);
  /// Compares the student's logits on a whole split with the teachers'.
  DistillEval evaluate(const torch::Tensor& student_logits, const TensorDataset& split,
                       const std::string& split_name, int64_t classes);

  const DistillOptions& options() const { return options_; }
  const std::vector<std::unique_ptr<Teacher>>& teachers() const { return teachers_; }

 private:
  /// Weighted teacher logits (for MSE) and probabilities at temperature T for inputs x.
  std::pair<torch::Tensor, torch::Tensor> targets(const torch::Tensor& x, double temperature);
  std::vector<torch::Tensor> teacher_logits(const torch::Tensor& x);

  DistillOptions options_;
  std::vector<std::unique_ptr<Teacher>> teachers_;
  std::vector<double> weights_;               // Normalised to sum to 1.
  std::vector<torch::Tensor> train_cache_;    // Per teacher [N_train, C], when cached.
  std::vector<torch::Tensor> feature_cache_;  // Per hint [N_train, D_teacher], when cached.
  std::shared_ptr<torch::nn::Module> projections_ = std::make_shared<torch::nn::Module>();
  std::vector<torch::nn::Linear> projection_list_;
  std::map<std::string, std::vector<torch::Tensor>> split_cache_;
};

}  // namespace slimlab
