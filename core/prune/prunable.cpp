#include "prune/prunable.h"

#include <torch/torch.h>

#include "moe/moe_layer.h"
#include "util/input_error.h"
#include "util/nearest_word.h"

namespace slimlab {
namespace {

std::string strip_weight(const std::string& name) {
  const std::string suffix = ".weight";
  bool has = name.size() > suffix.size() &&
             name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0;
  return has ? name.substr(0, name.size() - suffix.size()) : name;
}

// Routers decide where tokens go; position embeddings and the class token are added, not
// multiplied. Pruning them is not what any pruning method means.
bool is_weight_matrix(const std::string& name, const torch::Tensor& p) {
  if (p.dim() < 2) return false;
  for (const char* skip : {"router", "noise", "pos_embed", "cls_token"}) {
    if (name.find(skip) != std::string::npos) return false;
  }
  // Experts' biases b1 [E, hidden] and b2 [E, dim] are 2-D but still biases.
  auto last = name.substr(name.rfind('.') + 1);
  return last != "b1" && last != "b2";
}

std::vector<PrunableLayer> weight_layers(torch::nn::Module& module) {
  std::vector<PrunableLayer> layers;
  auto params = module.named_parameters();
  for (const auto& p : params) {
    if (!is_weight_matrix(p.key(), p.value())) continue;
    PrunableLayer layer;
    layer.weight = p.value();
    layer.units = p.value().size(0);
    layer.name = strip_weight(p.key());
    layer.kind = p.value().dim() == 3   ? LayerKind::Experts
                 : p.value().dim() == 4 ? LayerKind::Conv2d
                                        : LayerKind::Linear;
    std::string bias_name = layer.name + ".bias";
    if (layer.kind == LayerKind::Experts) {  // moe0.w1 -> moe0.b1
      bias_name = layer.name.substr(0, layer.name.size() - 2) + "b" + layer.name.back();
    }
    if (const auto* bias = params.find(bias_name)) layer.bias = *bias;
    layers.push_back(layer);
  }
  return layers;
}

// The layers whose outputs feed exactly one following layer that shrink.cpp can cut down.
std::vector<PrunableLayer> unit_layers(torch::nn::Module& module, const ModelSpec& spec) {
  std::vector<PrunableLayer> all = weight_layers(module), layers;
  if (spec.kind == ModelKind::Mlp) {
    // Every Linear in `layers` but the last, whose outputs are the classes.
    for (size_t i = 0; i + 1 < all.size(); ++i) layers.push_back(all[i]);
  } else if (spec.kind == ModelKind::Cnn) {
    for (const auto& layer : all) {
      bool conv = layer.kind == LayerKind::Conv2d;
      // With MoE blocks, fc's width is the residual stream every block adds into.
      bool fc = layer.name == "fc" && spec.cnn.moe_blocks() == 0;
      if (conv || fc) layers.push_back(layer);
    }
  }
  return layers;
}

std::vector<PrunableLayer> moe_layers(torch::nn::Module& module) {
  std::vector<PrunableLayer> layers;
  for (const auto& m : module.named_modules()) {
    auto* moe = dynamic_cast<MoeLayerImpl*>(m.value().get());
    if (moe == nullptr) continue;
    PrunableLayer layer;
    layer.name = m.key();
    layer.kind = LayerKind::MoeLayer;
    layer.weight = moe->w1;
    layer.units = moe->options.experts();
    layer.module = m.value();
    layers.push_back(layer);
  }
  return layers;
}

std::string list_names(const std::vector<PrunableLayer>& layers) {
  std::string text;
  for (const auto& layer : layers) text += (text.empty() ? "" : ", ") + layer.name;
  return text.empty() ? "none" : text;
}

}  // namespace

std::vector<PrunableLayer> prunable_layers(torch::nn::Module& module, const ModelSpec& spec,
                                           PruneCriterion criterion, int64_t m) {
  switch (criterion) {
    case PruneCriterion::L1Norm:
    case PruneCriterion::L2Norm:
      return unit_layers(module, spec);
    case PruneCriterion::ExpertLoad:
      return moe_layers(module);
    case PruneCriterion::NM: {
      std::vector<PrunableLayer> layers;
      for (auto& layer : weight_layers(module)) {
        if (layer.weight.size(1) % m == 0) layers.push_back(layer);
      }
      return layers;
    }
    default:
      return weight_layers(module);
  }
}

std::vector<PrunableLayer> nm_skipped_layers(torch::nn::Module& module, int64_t m) {
  std::vector<PrunableLayer> layers;
  for (auto& layer : weight_layers(module)) {
    if (layer.weight.size(1) % m != 0) layers.push_back(layer);
  }
  return layers;
}

std::vector<PrunableLayer> select_layers(torch::nn::Module& module, const ModelSpec& spec,
                                         const PruneOptions& options) {
  const std::string criterion = criterion_name(options.criterion);
  auto candidates = prunable_layers(module, spec, options.criterion, options.m);
  if (candidates.empty()) {
    std::string why = is_structured(options.criterion)
                          ? "structured pruning removes the hidden units of mlp and cnn models"
                      : options.criterion == PruneCriterion::ExpertLoad
                          ? "expert-load pruning needs MoE layers (moe-mlp, or cnn moe_blocks)"
                          : "no layer has an input dimension divisible by M";
    throw InputError("prune.criterion: " + criterion + " finds nothing to prune in this " +
                     model_name(spec.kind) + " model: " + why);
  }
  std::vector<PrunableLayer> chosen =
      options.layers.empty() ? candidates : std::vector<PrunableLayer>{};
  for (size_t i = 0; i < options.layers.size(); ++i) {
    const auto& name = options.layers[i];
    const std::string field = "prune.layers[" + std::to_string(i) + "]";
    auto it = std::find_if(candidates.begin(), candidates.end(),
                           [&](const PrunableLayer& l) { return l.name == name; });
    if (it == candidates.end()) {
      if (options.criterion == PruneCriterion::NM) {
        for (auto& layer : weight_layers(module)) {
          if (layer.name == name) {
            throw InputError(field + ": \"" + name + "\" has " +
                             std::to_string(layer.weight.size(1)) + " inputs, not a multiple of " +
                             "M = " + std::to_string(options.m) + ", so n:m cannot group them");
          }
        }
      }
      std::vector<std::string> names;
      for (const auto& l : candidates) names.push_back(l.name);
      auto near = nearest_word(name, names);
      throw InputError(field + ": no layer \"" + name + "\" that " + criterion +
                       " can prune in this " + model_name(spec.kind) + " model" +
                       (near.empty() ? "" : " (did you mean \"" + near + "\"?)") +
                       "; prunable: " + list_names(candidates));
    }
    for (const auto& earlier : chosen) {
      if (earlier.name == name) throw InputError(field + ": \"" + name + "\" is listed twice");
    }
    chosen.push_back(*it);
  }
  for (const auto& [name, value] : options.layer_sparsity) {
    auto it = std::find_if(chosen.begin(), chosen.end(),
                           [&](const PrunableLayer& l) { return l.name == name; });
    if (it == chosen.end()) {
      throw InputError("prune.layer_sparsity." + name +
                       ": not among the layers pruned; they are: " + list_names(chosen));
    }
  }
  return chosen;
}

}  // namespace slimlab
