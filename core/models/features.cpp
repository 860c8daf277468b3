#include "models/features.h"

#include <torch/torch.h>

#include <iterator>
#include <stdexcept>

#include "models/cnn.h"
#include "models/mlp.h"
#include "models/moe_mlp.h"
#include "models/vit.h"
#include "nn/activate.h"
#include "nn/gemm.h"

namespace slimlab {
namespace {

/// The named intermediate outputs of one forward pass, input to output.
using Taps = std::vector<std::pair<std::string, torch::Tensor>>;

torch::Tensor run(torch::nn::Module& model, const torch::Tensor& x, Taps& tap) {
  if (auto* mlp = dynamic_cast<MlpImpl*>(&model)) {
    // The Sequential is [Linear, activation, (Dropout)] per hidden layer, then the output Linear.
    auto h = x.flatten(1);
    auto last = std::prev(mlp->layers->end());
    int hidden = 0;
    for (auto it = mlp->layers->begin(); it != last; ++it) {
      h = forward_item(*it, h);
      auto next = std::next(it);
      // A hidden layer starts at a Linear, or at what replaced one (slimlab::LowRankLinearImpl).
      const std::string kind = next->ptr()->name();
      bool block_ends = next == last || (kind.size() >= 10 &&
                                         kind.compare(kind.size() - 10, 10, "LinearImpl") == 0);
      if (block_ends) tap.emplace_back("hidden" + std::to_string(hidden++), h);
    }
    return forward_item(*last, h);
  }
  if (auto* cnn = dynamic_cast<CnnImpl*>(&model)) {
    auto h = x;
    int conv = 0;
    for (auto it = cnn->features->begin(); it != cnn->features->end(); ++it) {
      h = it->forward(h);
      if (it->ptr()->name() == "torch::nn::MaxPool2dImpl") {
        tap.emplace_back("conv" + std::to_string(conv++), h);
      }
    }
    h = activate(cnn->fc_forward(h.flatten(1)), cnn->options.activation());
    for (auto& block : cnn->head_moe) h = h + block->forward(h);
    tap.emplace_back("fc", h);
    if (cnn->options.dropout() > 0) h = cnn->dropout->forward(h);
    return cnn->out_forward(h);
  }
  if (auto* moe = dynamic_cast<MoeMlpImpl*>(&model)) {
    auto h = activate(linear(moe->input, x.flatten(1)), moe->options.activation());
    tap.emplace_back("input", h);
    int b = 0;
    for (auto& block : moe->blocks) {
      h = h + block->forward(h);
      if (moe->options.dropout() > 0) h = moe->dropout->forward(h);
      tap.emplace_back("block" + std::to_string(b++), h);
    }
    return linear(moe->head, h);
  }
  if (auto* vit = dynamic_cast<VitImpl*>(&model)) {
    auto tokens = vit->patch_embed->forward(x).flatten(2).transpose(1, 2);
    auto cls = vit->cls_token.expand({x.size(0), 1, vit->options.dim()});
    auto h = torch::cat({cls, tokens}, 1) + vit->pos_embed;
    int b = 0;
    for (const auto& block : *vit->blocks) {
      h = block->as<VitBlock>()->forward(h);
      tap.emplace_back("block" + std::to_string(b++), h.select(1, 0));
    }
    auto pooled = vit->norm->forward(h.select(1, 0));
    tap.emplace_back("norm", pooled);
    return linear(vit->head, pooled);
  }
  throw std::invalid_argument("feature hints need a SlimLab model (mlp, cnn, moe-mlp, vit)");
}

std::string list(const Taps& taps) {
  std::string out;
  for (const auto& t : taps) out += t.first + ", ";
  return out + "penultimate";
}

}  // namespace

torch::Tensor forward_with_features(torch::nn::Module& model, const torch::Tensor& x,
                                    std::vector<torch::Tensor>& features,
                                    const std::vector<std::string>& layers) {
  Taps taps;
  auto logits = run(model, x, taps);
  features.assign(layers.size(), torch::Tensor());
  for (size_t i = 0; i < layers.size(); ++i) {
    if (layers[i] == "penultimate" && !taps.empty()) features[i] = taps.back().second.flatten(1);
    for (const auto& [name, value] : taps) {
      if (name == layers[i]) features[i] = value.flatten(1);
    }
    if (!features[i].defined()) {
      throw std::invalid_argument("no layer \"" + layers[i] + "\" (this model has: " + list(taps) +
                                  ")");
    }
  }
  return logits;
}

torch::Tensor forward_with_features(torch::nn::Module& model, const torch::Tensor& x,
                                    torch::Tensor& features, const std::string& layer) {
  std::vector<torch::Tensor> one;
  auto logits = forward_with_features(model, x, one, {layer});
  features = one.front();
  return logits;
}

}  // namespace slimlab
