#include "moe/upcycle.h"

#include <torch/torch.h>

#include <sstream>
#include <stdexcept>

namespace slimlab {
namespace {

bool is_router(const std::string& name) {
  return name.find("router.") != std::string::npos || name.find("noise.") != std::string::npos;
}

std::string shape_text(const torch::Tensor& t) {
  std::ostringstream out;
  out << t.sizes();
  return out.str();
}

}  // namespace

void upcycle_from_dense(torch::nn::Module& target, const torch::nn::Module& dense, double noise) {
  torch::NoGradGuard no_grad;
  auto source = dense.named_parameters();
  for (auto& item : target.named_parameters()) {
    const auto& name = item.key();
    auto& param = item.value();
    if (is_router(name)) continue;
    const auto* from = source.find(name);
    if (from == nullptr) {
      throw std::invalid_argument("upcycling: the dense run has no parameter " + name);
    }
    if (from->sizes() == param.sizes()) {
      param.copy_(*from);
      continue;
    }
    // An expert stack [E, ...] from the dense run's single expert [1, ...].
    bool expert_stack = from->dim() == param.dim() && from->size(0) == 1 &&
                        from->sizes().slice(1) == param.sizes().slice(1);
    if (!expert_stack) {
      throw std::invalid_argument("upcycling: " + name + " has shape " + shape_text(param) +
                                  " here but " + shape_text(*from) +
                                  " in the dense run; widths and expert sizes must match");
    }
    auto copies = from->expand_as(param).clone();
    double scale = noise * from->std().item<double>();
    if (scale > 0) copies += torch::randn_like(copies) * scale;
    param.copy_(copies);
  }
}

}  // namespace slimlab
