#pragma once

#include <cstdint>
#include <vector>

#include "models/model_spec.h"

namespace slimlab {

/// What a model costs per sample, counted from its options (REFERENCES.md, "Cost and energy").
struct ModelCost {
  int64_t params = 0;            ///< All trainable parameters.
  int64_t active_params = 0;     ///< Parameters one sample touches: shared ones plus k experts.
  int64_t macs = 0;              ///< Multiply-accumulates per sample with k experts active.
  int64_t macs_all_experts = 0;  ///< The same if every expert ran (the dense mixture).
};

/// Counts for the model `spec` builds on data of `sample_shape` with `classes` classes.
/// Evaluation-time cost: the noisy gate's noise projection is counted in params only.
ModelCost model_cost(const ModelSpec& spec, const std::vector<int64_t>& sample_shape,
                     int64_t classes);

}  // namespace slimlab
