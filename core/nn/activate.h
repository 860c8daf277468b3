#pragma once

#include <torch/types.h>

#include "nn/activation.h"

namespace slimlab {

/// Applies `activation` to a tensor.
torch::Tensor activate(const torch::Tensor& x, Activation activation);

}  // namespace slimlab
