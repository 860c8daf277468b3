#include "prune/pruner.h"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "moe/moe_layer.h"
#include "prune/masks.h"
#include "prune/prune_report.h"
#include "util/input_error.h"

namespace slimlab {
namespace {

MoeLayerImpl& moe_of(const LayerState& state) {
  return dynamic_cast<MoeLayerImpl&>(*state.layer.module);
}

// Archive keys may not contain dots.
std::string archive_key(std::string name) {
  for (auto& c : name) {
    if (c == '.') c = '_';
  }
  return name;
}

// Zeroes the optimiser's running averages of pruned weights. Their gradients are masked from now
// on, so Adam's first moment would otherwise decay through the denormal range (0.9^n), where
// every multiply is ~100x slower on x86: training became 30% slower after pruning.
void mask_optimizer_state(torch::optim::Optimizer& optimizer, const ParamMask& m) {
  auto& states = optimizer.state();
  auto it = states.find(c10::guts::to_string(m.param.unsafeGetTensorImpl()));
  if (it == states.end()) return;
  torch::NoGradGuard no_grad;
  if (auto* adam = dynamic_cast<torch::optim::AdamParamState*>(it->second.get())) {
    adam->exp_avg().mul_(m.mask);
    adam->exp_avg_sq().mul_(m.mask);
    if (adam->max_exp_avg_sq().defined()) adam->max_exp_avg_sq().mul_(m.mask);
  } else if (auto* sgd = dynamic_cast<torch::optim::SGDParamState*>(it->second.get())) {
    if (sgd->momentum_buffer().defined()) sgd->momentum_buffer().mul_(m.mask);
  }
}

}  // namespace

Pruner::Pruner(const PruneOptions& options, torch::nn::Module& module, const ModelSpec& model,
               int64_t seed, int64_t total_steps)
    : options_(options), module_(module), seed_(seed), steps_(prune_steps(options)) {
  if (steps_.back() >= total_steps) {
    throw InputError("prune: the last prune step, " + std::to_string(steps_.back()) +
                     " (start_step + rounds x frequency), must come before the run's last step, " +
                     std::to_string(total_steps) +
                     "; lower prune.frequency or prune.rounds, or train longer");
  }
  if (options.rewind && options.rewind_step > steps_.front()) {
    throw InputError("prune.rewind_step: " + std::to_string(options.rewind_step) +
                     " comes after the first prune step " + std::to_string(steps_.front()) +
                     "; a rewind restores weights from before pruning");
  }
  for (const auto& [name, s_f] : options.layer_sparsity) {
    if (options.schedule == PruneSchedule::Agp && options.initial_sparsity > s_f) {
      throw InputError("prune.layer_sparsity." + name + ": " + std::to_string(s_f) +
                       " is below initial_sparsity; AGP only adds pruning");
    }
  }
  if (options.criterion == PruneCriterion::ExpertLoad && steps_.front() == 0 &&
      scheduled_sparsity(options, options.sparsity, 0) > 0) {
    throw InputError(
        "prune.start_step: expert-load pruning ranks experts by the router load it measured "
        "while training; start after some steps (e.g. 200), not at 0");
  }
  for (auto& layer : select_layers(module, model, options)) {
    LayerState state;
    state.layer = layer;
    state.final_sparsity = final_sparsity(options, layer.name);
    state.masks.push_back({layer.weight, torch::ones_like(layer.weight)});
    if (is_structured(options.criterion)) {
      state.unit_keep = torch::ones({layer.units});
      if (layer.bias.defined()) state.masks.push_back({layer.bias, torch::ones_like(layer.bias)});
    }
    if (layer.kind == LayerKind::MoeLayer) {
      auto& moe = moe_of(state);
      int64_t experts = moe.options.experts(), top_k = moe.options.top_k();
      int64_t removed = pruned_count(
          std::max(state.final_sparsity, scheduled_sparsity(options, state.final_sparsity, 0)),
          experts);
      if (!layers_.empty() && layers_.front().layer.kind == LayerKind::MoeLayer &&
          pruned_count(layers_.front().final_sparsity, layers_.front().layer.units) != removed) {
        throw InputError("prune.layer_sparsity: every MoE layer must lose as many experts (" +
                         layer.name + " would differ from " + layers_.front().layer.name +
                         "); they share one expert count in the model spec");
      }
      if (experts - removed < top_k) {
        throw InputError("prune.sparsity: removing " + std::to_string(removed) + " of the " +
                         std::to_string(experts) + " experts of " + layer.name +
                         " leaves fewer than top_k = " + std::to_string(top_k));
      }
      state.unit_keep = torch::ones({experts});
      state.router_load = torch::zeros({experts}, torch::kInt64);
      state.masks.clear();
      for (const auto& t : {moe.w1, moe.b1, moe.w2, moe.b2, moe.router->weight}) {
        state.masks.push_back({t, torch::ones_like(t)});
      }
    }
    layers_.push_back(std::move(state));
  }
  if (options.criterion == PruneCriterion::NM && options.layers.empty()) {
    for (const auto& layer : nm_skipped_layers(module, options.m)) {
      skipped_.push_back({layer.name, layer.weight.size(1)});
    }
  }
}

void Pruner::at_step_start(int64_t step) {
  if (!options_.rewind || step != options_.rewind_step || !rewind_weights_.empty()) return;
  for (const auto& p : module_.parameters()) rewind_weights_.push_back(p.detach().clone());
}

bool Pruner::is_prune_step(int64_t step) const {
  return std::find(steps_.begin(), steps_.end(), step) != steps_.end();
}

std::string Pruner::prune(int64_t step, torch::optim::Optimizer* optimizer) {
  if (options_.criterion == PruneCriterion::ExpertLoad) {
    prune_experts(step);
  } else if (is_structured(options_.criterion)) {
    prune_units(step);
  } else {
    prune_weights(step);
  }
  apply_masks();
  if (optimizer != nullptr) {
    for (const auto& state : layers_) {
      for (const auto& m : state.masks) mask_optimizer_state(*optimizer, m);
    }
  }
  if (options_.rewind && !rewind_weights_.empty()) rewind(optimizer);
  nlohmann::json layers = nlohmann::json::object();
  for (auto& state : layers_) {
    state.sparsity = mask_sparsity(state.masks[0].mask);
    nlohmann::json entry = {{"sparsity", state.sparsity}};
    if (state.unit_keep.defined()) {
      entry["units"] = state.layer.units;
      entry["units_kept"] = int64_t(state.unit_keep.sum().item<double>());
    }
    layers[state.layer.name] = entry;
  }
  nlohmann::json floored = nlohmann::json::array();
  for (const auto& f : floored_layers_json(*this)) {
    if (f["step"] == step) floored.push_back(f);
  }
  nlohmann::json event = {{"criterion", criterion_name(options_.criterion)},
                          {"target", target_sparsity(step)},
                          {"rewound", options_.rewind},
                          {"layers", layers},
                          {"floored_layers", floored},
                          {"skipped_layers", skipped_layers_json(*this)}};
  for (const auto& [key, value] : sparsity_metrics(step)) {
    if (key == "sparsity/global") event["global"] = value;
  }
  return event.dump();
}

void Pruner::prune_weights(int64_t step) {
  auto generator = at::make_generator<at::CPUGeneratorImpl>(
      uint64_t(seed_) * 0x9E3779B97F4A7C15ULL + uint64_t(step));
  auto scores_of = [&](const LayerState& state) {
    const auto& m = state.masks[0];
    return options_.criterion == PruneCriterion::Random ? random_scores(m.mask, generator)
                                                        : magnitude_scores(m.param, m.mask);
  };
  if (options_.criterion == PruneCriterion::NM) {
    for (auto& state : layers_) {
      state.masks[0].mask = nm_mask(state.masks[0].param, options_.n, options_.m);
    }
    return;
  }
  if (options_.scope == PruneScope::Local) {
    for (auto& state : layers_) {
      double s = scheduled_sparsity(options_, state.final_sparsity, step);
      auto scores = scores_of(state);
      // One weight always stays: an all-zero layer would cut the network in two.
      int64_t asked = pruned_count(s, scores.numel());
      int64_t k = std::min(asked, scores.numel() - 1);
      if (k < asked) {
        state.floored_step = step;
        state.floored_asked = asked;
      }
      state.masks[0].mask = prune_lowest(scores, k);
    }
    return;
  }
  // Global: one ranking over every selected weight together, with the floor local pruning has.
  std::vector<torch::Tensor> scores;
  int64_t total = 0;
  for (const auto& state : layers_) {
    scores.push_back(scores_of(state));
    total += scores.back().numel();
  }
  double s = scheduled_sparsity(options_, options_.sparsity, step);
  const int64_t asked = pruned_count(s, total);
  auto global = prune_lowest_global(scores, asked);
  for (size_t i = 0; i < layers_.size(); ++i) {
    layers_[i].masks[0].mask = global.keep[i];
    if (global.floored[i]) {
      // Without the floor the ranking would have taken the whole layer.
      layers_[i].floored_step = step;
      layers_[i].floored_asked = scores[i].numel();
    }
  }
}

void Pruner::prune_units(int64_t step) {
  const int p = options_.criterion == PruneCriterion::L1Norm ? 1 : 2;
  for (auto& state : layers_) {
    double s = scheduled_sparsity(options_, state.final_sparsity, step);
    // At least one unit stays, or the layer would cut the network in two.
    int64_t asked = pruned_count(s, state.layer.units);
    int64_t k = std::min(asked, state.layer.units - 1);
    if (k < asked) {
      state.floored_step = step;
      state.floored_asked = asked;
    }
    state.unit_keep = prune_lowest(unit_scores(state.masks[0].param, p, state.unit_keep), k);
    for (auto& m : state.masks) m.mask = expand_units(state.unit_keep, m.param);
  }
}

void Pruner::prune_experts(int64_t step) {
  for (auto& state : layers_) {
    double s = scheduled_sparsity(options_, state.final_sparsity, step);
    auto scores = state.router_load.to(torch::kFloat64).masked_fill(state.unit_keep.eq(0), -1.0);
    // No floor needed: the constructor refused removals that leave fewer than top_k experts.
    state.unit_keep = prune_lowest(scores, pruned_count(s, state.layer.units)).to(torch::kFloat);
    for (auto& m : state.masks) m.mask = expand_units(state.unit_keep, m.param);
    moe_of(state).keep_experts(state.unit_keep);
    state.router_load.zero_();
  }
}

void Pruner::rewind(torch::optim::Optimizer* optimizer) {
  torch::NoGradGuard no_grad;
  auto params = module_.parameters();
  for (size_t i = 0; i < params.size() && i < rewind_weights_.size(); ++i) {
    params[i].copy_(rewind_weights_[i]);
  }
  apply_masks();
  // Frankle & Carbin retrain the rewound ticket from a fresh optimiser.
  if (optimizer != nullptr) optimizer->state().clear();
}

void Pruner::mask_gradients() {
  for (auto& state : layers_) {
    for (auto& m : state.masks) {
      if (m.param.grad().defined()) m.param.grad().mul_(m.mask);
    }
  }
}

void Pruner::apply_masks() {
  torch::NoGradGuard no_grad;
  for (auto& state : layers_) {
    for (auto& m : state.masks) m.param.mul_(m.mask);
  }
}

void Pruner::observe_routing() {
  for (auto& state : layers_) {
    if (state.layer.kind != LayerKind::MoeLayer) continue;
    const auto& assigned = moe_of(state).last_counts.assigned;
    if (assigned.defined()) state.router_load.add_(assigned);
  }
}

double Pruner::target_sparsity(int64_t step) const {
  if (options_.scope == PruneScope::Global) {
    return scheduled_sparsity(options_, options_.sparsity, step);
  }
  double pruned = 0, total = 0;
  for (const auto& state : layers_) {
    double n = double(state.masks[0].param.numel());
    pruned += scheduled_sparsity(options_, state.final_sparsity, step) * n;
    total += n;
  }
  return total > 0 ? pruned / total : 0.0;
}

std::vector<std::pair<std::string, double>> Pruner::sparsity_metrics(int64_t step) const {
  std::vector<std::pair<std::string, double>> metrics;
  double pruned = 0, total = 0;
  for (const auto& state : layers_) {
    metrics.emplace_back("sparsity/" + state.layer.name, state.sparsity);
    double n = double(state.masks[0].param.numel());
    pruned += state.sparsity * n;
    total += n;
  }
  metrics.emplace_back("sparsity/global", total > 0 ? pruned / total : 0.0);
  metrics.emplace_back("sparsity/target", target_sparsity(step));
  return metrics;
}

void Pruner::save(torch::serialize::OutputArchive& archive) const {
  for (size_t i = 0; i < layers_.size(); ++i) {
    const auto& state = layers_[i];
    const std::string prefix = "layer" + std::to_string(i) + "_";
    for (size_t j = 0; j < state.masks.size(); ++j) {
      archive.write(prefix + "mask" + std::to_string(j), state.masks[j].mask.to(torch::kBool));
    }
    if (state.unit_keep.defined()) archive.write(prefix + "keep", state.unit_keep);
    if (state.router_load.defined()) archive.write(prefix + "load", state.router_load);
    archive.write(prefix + "floor", torch::tensor({state.floored_step, state.floored_asked}));
  }
  for (size_t j = 0; j < rewind_weights_.size(); ++j) {
    archive.write("rewind" + std::to_string(j), rewind_weights_[j]);
  }
}

void Pruner::load(torch::serialize::InputArchive& archive) {
  for (size_t i = 0; i < layers_.size(); ++i) {
    auto& state = layers_[i];
    const std::string prefix = "layer" + std::to_string(i) + "_";
    for (size_t j = 0; j < state.masks.size(); ++j) {
      torch::Tensor mask;
      archive.read(prefix + "mask" + std::to_string(j), mask);
      state.masks[j].mask = mask.to(state.masks[j].param.dtype());
    }
    if (state.unit_keep.defined()) archive.read(prefix + "keep", state.unit_keep);
    if (state.router_load.defined()) archive.read(prefix + "load", state.router_load);
    torch::Tensor floored;  // Absent from checkpoints written before the floor was reported.
    if (archive.try_read(prefix + "floor", floored)) {
      state.floored_step = floored[0].item<int64_t>();
      state.floored_asked = floored[1].item<int64_t>();
    }
    if (state.layer.kind == LayerKind::MoeLayer) {
      moe_of(state).keep_experts(state.unit_keep);
    }
    state.sparsity = mask_sparsity(state.masks[0].mask);
  }
  rewind_weights_.clear();
  for (;;) {
    torch::Tensor weight;  // Fresh each time: try_read fills a defined tensor in place.
    if (!archive.try_read("rewind" + std::to_string(rewind_weights_.size()), weight)) break;
    rewind_weights_.push_back(weight);
  }
}

void save_expert_masks(torch::nn::Module& module, torch::serialize::OutputArchive& checkpoint) {
  torch::serialize::OutputArchive masks;
  bool any = false;
  for (const auto& m : module.named_modules()) {
    auto* moe = dynamic_cast<MoeLayerImpl*>(m.value().get());
    if (moe == nullptr || !moe->expert_keep.defined()) continue;
    masks.write(archive_key(m.key()), moe->expert_keep);
    any = true;
  }
  if (any) checkpoint.write("expert_masks", masks);
}

void load_expert_masks(torch::nn::Module& module, torch::serialize::InputArchive& checkpoint) {
  torch::serialize::InputArchive masks;
  if (!checkpoint.try_read("expert_masks", masks)) return;
  for (const auto& m : module.named_modules()) {
    auto* moe = dynamic_cast<MoeLayerImpl*>(m.value().get());
    torch::Tensor keep;  // Fresh for each layer (try_read fills a defined tensor in place).
    if (moe != nullptr && masks.try_read(archive_key(m.key()), keep)) moe->keep_experts(keep);
  }
}

}  // namespace slimlab
