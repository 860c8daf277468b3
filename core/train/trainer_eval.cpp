// Evaluation of a split: loss, accuracy, MoE routing matrices, comparison with teachers.
#include <algorithm>

#include "train/trainer_state.h"

namespace slimlab {
namespace {
constexpr int64_t kEvalBatch = 1000;
}  // namespace

Trainer::State::Evaluation Trainer::State::evaluate(const TensorDataset& split) {
  Evaluation result;
  if (split.size() == 0) return result;
  torch::NoGradGuard no_grad;
  module->eval();
  for (const auto& layer : moe_layers) {
    result.routing.push_back(
        torch::zeros({data.classes * layer->options.experts()}, torch::kInt64));
  }
  double loss_sum = 0;
  int64_t correct = 0;
  std::vector<torch::Tensor> all_logits;  // Only kept when a method compares them.
  const bool keep_logits = std::any_of(methods.begin(), methods.end(),
                                       [](const auto& m) { return m->wants_eval_logits(); });
  for (int64_t begin = 0; begin < split.size(); begin += kEvalBatch) {
    int64_t end = std::min(begin + kEvalBatch, split.size());
    auto x = split.x.slice(0, begin, end);
    auto y = split.y.slice(0, begin, end);
    auto logits = model.forward(x);
    loss_sum += torch::cross_entropy_loss(logits, y, {}, at::Reduction::Sum).item<double>();
    correct += logits.argmax(1).eq(y).sum().item<int64_t>();
    if (keep_logits) all_logits.push_back(logits);
    for (size_t i = 0; i < moe_layers.size(); ++i) {
      auto experts = moe_layers[i]->options.experts();
      auto cell = y * experts + moe_layers[i]->last_top1;
      result.routing[i].index_add_(0, cell, torch::ones_like(cell));
    }
  }
  module->train();
  if (!all_logits.empty()) result.logits = torch::cat(all_logits);
  result.loss = loss_sum / double(split.size());
  result.accuracy = double(correct) / double(split.size());
  return result;
}

void Trainer::State::evaluate_methods(Evaluation& e, const TensorDataset& split,
                                      const std::string& name, bool final) {
  if (split.size() == 0) return;
  for (auto& method : methods) {
    for (auto& figure : method->evaluate(e.logits, split, name, final)) {
      e.extra.push_back(std::move(figure));
    }
  }
}

void Trainer::State::report_routing(TrainObserver& observer, const Evaluation& e,
                                    const std::string& split) {
  for (size_t i = 0; i < e.routing.size(); ++i) {
    RoutingMatrixRecord r;
    r.step = step;
    r.layer = int64_t(i);
    r.split = split;
    r.classes = data.classes;
    r.experts = moe_layers[i]->options.experts();
    auto counts = e.routing[i].contiguous();
    r.counts.assign(counts.data_ptr<int64_t>(), counts.data_ptr<int64_t>() + counts.numel());
    observer.on_routing_matrix(r);
  }
}

}  // namespace slimlab
