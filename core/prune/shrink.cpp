#include "prune/shrink.h"

#include <torch/torch.h>

#include <stdexcept>

#include "models/model_factory.h"
#include "moe/moe_layer.h"

namespace slimlab {
namespace {

// Which rows (dim 0) and columns (dim 1) of an old tensor the new one keeps; undefined = all.
struct Selection {
  torch::Tensor rows;
  torch::Tensor cols;
};

torch::Tensor kept_indices(const std::map<std::string, torch::Tensor>& unit_keep,
                           const std::string& name, int64_t units) {
  auto it = unit_keep.find(name);
  if (it == unit_keep.end()) return torch::arange(units);
  return it->second.nonzero().flatten();
}

// Linear / conv layers in order, as (name, units).
std::vector<std::pair<std::string, int64_t>> weight_layers(torch::nn::Module& module) {
  std::vector<std::pair<std::string, int64_t>> layers;
  for (const auto& p : module.named_parameters()) {
    const auto& name = p.key();
    if (p.value().dim() < 2 || name.size() < 7 || name.substr(name.size() - 7) != ".weight" ||
        name.find("router") != std::string::npos || name.find("noise") != std::string::npos) {
      continue;
    }
    layers.emplace_back(name.substr(0, name.size() - 7), p.value().size(0));
  }
  return layers;
}

// Chains the layers: each keeps its own kept outputs and the previous layer's kept outputs as
// inputs. `expand` widens the previous layer's kept units into input columns (flattened convs).
void chain(const std::vector<std::pair<std::string, int64_t>>& layers,
           const std::map<std::string, torch::Tensor>& unit_keep,
           const std::map<std::string, int64_t>& positions_before,
           std::map<std::string, Selection>& rules, std::map<std::string, int64_t>& kept) {
  torch::Tensor previous;
  for (const auto& [name, units] : layers) {
    auto rows = kept_indices(unit_keep, name, units);
    kept[name] = rows.numel();
    torch::Tensor cols = previous;
    auto spread = positions_before.find(name);
    if (cols.defined() && spread != positions_before.end()) {
      // Channel c of the last conv is columns c*P .. c*P + P - 1 of the flattened input.
      int64_t p = spread->second;
      cols = (cols.unsqueeze(1) * p + torch::arange(p).unsqueeze(0)).flatten();
    }
    rules[name + ".weight"] = {rows, cols};
    rules[name + ".bias"] = {rows, {}};
    previous = rows;
  }
}

void copy_selected(torch::nn::Module& from, torch::nn::Module& to,
                   const std::map<std::string, Selection>& rules) {
  torch::NoGradGuard no_grad;
  auto old_params = from.named_parameters();
  for (auto& p : to.named_parameters()) {
    auto t = old_params[p.key()];
    if (auto it = rules.find(p.key()); it != rules.end()) {
      if (it->second.rows.defined()) t = t.index_select(0, it->second.rows);
      if (it->second.cols.defined()) t = t.index_select(1, it->second.cols);
    }
    if (!t.sizes().equals(p.value().sizes())) {
      throw std::invalid_argument("shrinking " + p.key() + ": the kept slice does not fit");
    }
    p.value().copy_(t);
  }
}

}  // namespace

ShrunkModel shrink_model(const ModelSpec& spec, torch::nn::Module& masked,
                         const std::map<std::string, torch::Tensor>& unit_keep,
                         const std::vector<int64_t>& sample_shape, int64_t classes) {
  ShrunkModel shrunk{spec, {}};
  std::map<std::string, Selection> rules;
  std::map<std::string, int64_t> kept;
  auto layers = weight_layers(masked);
  std::vector<std::pair<std::string, int64_t>> chained;
  std::map<std::string, int64_t> positions_before;
  if (spec.kind == ModelKind::Mlp) {
    chained = layers;
  } else if (spec.kind == ModelKind::Cnn) {
    // The convolutions, fc and out form one chain; MoE head blocks keep fc's width.
    for (const auto& layer : layers) {
      bool conv = layer.first.rfind("features.", 0) == 0;
      if (conv || layer.first == "fc" || layer.first == "out") chained.push_back(layer);
    }
    int64_t size = sample_shape.back();  // The spec leaves sizes to the data.
    for (size_t i = 0; i < spec.cnn.channels().size(); ++i) size /= 2;
    positions_before["fc"] = size * size;
  } else if (spec.kind != ModelKind::MoeMlp) {
    throw std::invalid_argument(
        std::string("shrinking supports mlp, cnn and moe-mlp models, not ") +
        model_name(spec.kind));
  }
  chain(chained, unit_keep, positions_before, rules, kept);
  if (spec.kind == ModelKind::Mlp) {
    std::vector<int64_t> hidden;
    for (size_t i = 0; i + 1 < chained.size(); ++i) hidden.push_back(kept[chained[i].first]);
    shrunk.spec.mlp.hidden(hidden);
  } else if (spec.kind == ModelKind::Cnn) {
    std::vector<int64_t> channels;
    for (size_t i = 0; i + 2 < chained.size(); ++i) channels.push_back(kept[chained[i].first]);
    shrunk.spec.cnn.channels(channels);
    shrunk.spec.cnn.fc_hidden(kept["fc"]);
  }
  // Mixtures lose their pruned experts: router rows and every per-expert tensor.
  int64_t experts = -1;
  for (const auto& m : masked.named_modules()) {
    if (unit_keep.count(m.key()) == 0 || !dynamic_cast<MoeLayerImpl*>(m.value().get())) continue;
    auto keep = unit_keep.at(m.key()).nonzero().flatten();
    if (experts >= 0 && experts != keep.numel()) {
      throw std::invalid_argument("MoE blocks keep different numbers of experts");
    }
    experts = keep.numel();
    for (const char* t : {".w1", ".b1", ".w2", ".b2", ".router.weight", ".noise.weight"}) {
      rules[m.key() + t] = {keep, {}};
    }
  }
  if (experts >= 0) {
    auto& moe = spec.kind == ModelKind::Cnn ? shrunk.spec.cnn.moe() : shrunk.spec.moe_mlp.moe();
    moe.experts(experts);
    moe.top_k(std::min(moe.top_k(), experts));
  }
  shrunk.model = make_model(shrunk.spec, sample_shape, classes);
  copy_selected(masked, *shrunk.model.ptr(), rules);
  shrunk.model.ptr()->eval();
  return shrunk;
}

}  // namespace slimlab
