#include "distill/kd_loss.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>

namespace slimlab {

torch::Tensor soft_targets(const torch::Tensor& logits, double temperature) {
  return torch::softmax(logits / temperature, 1);
}

torch::Tensor kd_kl(const torch::Tensor& student_logits, const torch::Tensor& teacher_probs,
                    double temperature) {
  auto log_student = torch::log_softmax(student_logits / temperature, 1);
  // xlogy: a teacher probability of exactly 0 contributes 0, not NaN.
  auto teacher_term = torch::xlogy(teacher_probs, teacher_probs);
  return (teacher_term - teacher_probs * log_student).sum(1).mean();
}

torch::Tensor hinton_soft_loss(const torch::Tensor& student_logits,
                               const torch::Tensor& teacher_probs, double temperature,
                               bool t_squared) {
  auto kl = kd_kl(student_logits, teacher_probs, temperature);
  return t_squared ? kl * (temperature * temperature) : kl;
}

torch::Tensor logit_mse(const torch::Tensor& student_logits, const torch::Tensor& teacher_logits) {
  return (student_logits - teacher_logits).pow(2).sum(1).mean();
}

double scheduled(ScheduleKind kind, double start, double end, double progress) {
  double p = std::clamp(progress, 0.0, 1.0);
  switch (kind) {
    case ScheduleKind::Linear:
      return start + (end - start) * p;
    case ScheduleKind::Cosine:
      return end + (start - end) * (1.0 + std::cos(M_PI * p)) / 2.0;
    default:
      return start;
  }
}

}  // namespace slimlab
