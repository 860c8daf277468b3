#pragma once

#include <torch/types.h>

#include "distill/distill_options.h"

namespace slimlab {

/// Softened probabilities p_i(T) = exp(z_i / T) / sum_j exp(z_j / T).
torch::Tensor soft_targets(const torch::Tensor& logits, double temperature);

/// Mean over the batch of KL(p_teacher || p_student(T)) = sum_i p_t,i (log p_t,i - log p_s,i(T)),
/// with `teacher_probs` already softened at the same temperature.
torch::Tensor kd_kl(const torch::Tensor& student_logits, const torch::Tensor& teacher_probs,
                    double temperature);

/// Hinton et al. 2015's soft-target term: T^2 * KL(p_t(T) || p_s(T)) when `t_squared`
/// (keeps gradients on one scale as T changes; SlimLab's default), else KL alone (Distiller).
torch::Tensor hinton_soft_loss(const torch::Tensor& student_logits,
                               const torch::Tensor& teacher_probs, double temperature,
                               bool t_squared);

/// Logit regression (Tang et al. 2019): mean over the batch of ||z_t - z_s||^2.
torch::Tensor logit_mse(const torch::Tensor& student_logits, const torch::Tensor& teacher_logits);

/// The value at `progress` in 0..1: start (Constant), start + (end - start) * p (Linear), or
/// end + (start - end) * (1 + cos(pi * p)) / 2 (Cosine).
double scheduled(ScheduleKind kind, double start, double end, double progress);

}  // namespace slimlab
