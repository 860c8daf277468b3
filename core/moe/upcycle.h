#pragma once

#include <torch/nn/module.h>

namespace slimlab {

/// Sparse upcycling (Komatsuzaki et al. 2022): initialises `target`, a model with MoE layers,
/// from `dense`, the same model with single-expert layers that has been trained. Shared layers
/// are copied as they are; the one expert is copied into every expert, plus Gaussian noise of
/// `noise` times that tensor's standard deviation so the experts can diverge. Routers keep their
/// fresh initialisation. Throws std::invalid_argument naming the first parameter that has no
/// counterpart of a compatible shape.
void upcycle_from_dense(torch::nn::Module& target, const torch::nn::Module& dense, double noise);

}  // namespace slimlab
