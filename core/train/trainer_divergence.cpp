// The diagnosis of a diverged run: which number went bad first, and whose fault it is.
#include <torch/torch.h>

#include <cmath>
#include <cstdio>

#include "train/trainer_state.h"

namespace slimlab {
namespace {

std::string describe(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return "Inf";
  char text[32];
  std::snprintf(text, sizeof text, "%.4g", value);
  return text;
}

// The first parameter (of the model, then those the methods train, e.g. distillation's hint
// projections) holding a NaN or Inf.
std::string first_non_finite_tensor(
    torch::nn::Module& module, const std::vector<std::unique_ptr<CompressionMethod>>& methods) {
  for (const auto& p : module.named_parameters()) {
    if (!torch::isfinite(p.value()).all().item<bool>()) return p.key();
  }
  for (const auto& method : methods) {
    for (const auto& [name, tensor] : method->named_parameters()) {
      if (!torch::isfinite(tensor).all().item<bool>()) return name;
    }
  }
  return "";
}

}  // namespace

std::string Trainer::State::divergence_reason(
    const torch::Tensor& x, double task_loss, double total_loss,
    const std::vector<std::pair<std::string, double>>& terms, double chance) const {
  const std::string at = " at step " + std::to_string(step + 1);
  if (!torch::isfinite(x).all().item<bool>()) {
    return "the input batch" + at + " holds non-finite values (data from " + data.source +
           "); the data is at fault, not the learning rate";
  }
  const std::string culprit = first_non_finite_tensor(*module, methods);
  const std::string tensor = culprit.empty() ? "" : "; first non-finite tensor: " + culprit;
  std::string what = "training loss";
  double value = task_loss;
  if (std::isfinite(task_loss) && !std::isfinite(total_loss)) {
    what = "the loss";
    value = total_loss;
    for (const auto& [name, term] : terms) {
      if (!std::isfinite(term)) {
        what = name;
        value = term;
        break;
      }
    }
  }
  std::string became = "became " + describe(value);
  if (std::isfinite(value)) {
    char text[96];
    std::snprintf(text, sizeof text, "exploded to %.4g (over %.0fx the chance level %.3g)", value,
                  kExplodedOverChance, chance);
    became = text;
  }
  if (step == 0) {
    // Nothing has been updated yet: the learning rate has not acted.
    return what + " " + became + at + ", before any update" + tensor +
           ": the untrained model (or a teacher) already gives it, so a smaller optimizer.lr "
           "will not help; check the data and the model";
  }
  return what + " " + became + at + tensor + "; try a smaller optimizer.lr";
}

}  // namespace slimlab
