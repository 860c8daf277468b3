#pragma once

#include <torch/nn/modules/container/any.h>

#include <cstdint>
#include <mutex>
#include <vector>

#include "models/model_spec.h"

namespace slimlab {

/// Builds the network a spec describes for data of `sample_shape` and `classes`.
/// The returned AnyModule's forward maps a batch [B, ...sample_shape] to logits [B, classes].
torch::nn::AnyModule make_model(const ModelSpec& spec, const std::vector<int64_t>& sample_shape,
                                int64_t classes);

/// LibTorch's default CPU generator is one for the whole process: weight initialisation, dropout
/// and noisy gates all draw from it. A training run holds this lock whenever it draws or reads
/// the generator (seeding and building its model, hint projections, upcycling noise, each step,
/// checkpoints); models whose weights are loaded right after (teachers, upcycling sources, the
/// window's plane map and histogram) are built through make_model_to_load, on any thread. So a
/// run draws exactly the numbers it would draw alone, whatever the window loads beside it (found
/// with ThreadSanitizer: the plane map built its model on a pool thread while a run was being
/// seeded). Not recursive: never call make_model_to_load while holding it.
std::mutex& generator_mutex();

/// make_model for a network whose weights are loaded right after: built under
/// generator_mutex(), and the default generator is put back as it was, so its random
/// initialisation takes nothing from a run.
torch::nn::AnyModule make_model_to_load(const ModelSpec& spec,
                                        const std::vector<int64_t>& sample_shape, int64_t classes);

/// Number of trainable parameters.
int64_t count_parameters(const torch::nn::Module& module);

}  // namespace slimlab
