#include "nn/activate.h"

#include <torch/torch.h>

namespace slimlab {

torch::Tensor activate(const torch::Tensor& x, Activation activation) {
  switch (activation) {
    case Activation::Gelu:
      return torch::gelu(x);
    case Activation::Tanh:
      return torch::tanh(x);
    default:
      return torch::relu(x);
  }
}

}  // namespace slimlab
