#include "tune/plan_evaluator.h"

#include <torch/torch.h>

#include <chrono>

#include "data/dataset.h"
#include "measure/model_cost.h"
#include "models/cnn.h"
#include "models/layer_surgery.h"
#include "models/model_factory.h"
#include "prune/masks.h"
#include "quant/fake_quant.h"
#include "quant/observers.h"
#include "train/runtime.h"
#include "train/stored_model.h"
#include "train/trainer.h"
#include "util/input_error.h"
#include "util/nearest_word.h"

namespace slimlab {
namespace {

constexpr int64_t kEvalBatch = 250;

/// The weight tensor of a replaceable layer (a parameter of the model; written in place).
torch::Tensor layer_weight(torch::nn::Module& model, const std::string& name) {
  auto module = model.named_modules()[name];
  if (auto* linear = module->as<torch::nn::LinearImpl>()) return linear->weight;
  return module->as<torch::nn::Conv2dImpl>()->weight;
}

int64_t bias_size(torch::nn::Module& model, const std::string& name) {
  auto module = model.named_modules()[name];
  torch::Tensor bias;
  if (auto* linear = module->as<torch::nn::LinearImpl>()) bias = linear->bias;
  if (auto* conv = module->as<torch::nn::Conv2dImpl>()) bias = conv->bias;
  return bias.defined() ? bias.numel() : 0;
}

/// Bytes of `numel` weights in `channels` output channels at `bits`, packed, with a float32 scale
/// and an int32 zero point per channel (quant/quant_method.cpp counts the same).
int64_t quantised_bytes(int64_t numel, int64_t channels, int64_t bits) {
  return (numel * bits + 7) / 8 + channels * 8;
}

}  // namespace

const char* cost_axis_name(CostAxis axis) {
  switch (axis) {
    case CostAxis::Params:
      return "params";
    case CostAxis::Bytes:
      return "bytes";
    case CostAxis::Macs:
      return "macs";
  }
  return "?";
}

int64_t cost_on(const PlanCost& cost, CostAxis axis) {
  switch (axis) {
    case CostAxis::Params:
      return cost.params;
    case CostAxis::Bytes:
      return cost.bytes;
    case CostAxis::Macs:
      return cost.macs;
  }
  return 0;
}

PlanCost layer_cost(const TunableLayer& layer, const LayerSetting& s) {
  const int64_t m = layer.out, n = layer.in;
  const int64_t stored = s.rank ? *s.rank * (m + n) : m * n;
  const int64_t kept = s.sparsity ? stored - pruned_count(*s.sparsity, stored) : stored;
  PlanCost c;
  c.params = kept + layer.bias;
  c.bytes = (s.bits ? quantised_bytes(stored, m, *s.bits) : stored * 4) + layer.bias * 4;
  c.macs = kept * layer.positions;
  return c;
}

struct PlanEvaluator::Impl {
  StoredModel stored;
  torch::nn::AnyModule model;
  std::vector<TunableLayer> layers;
  std::vector<torch::Tensor> live;     // The model's weight parameters, written in place.
  std::vector<torch::Tensor> trained;  // Their trained values.
  std::vector<LayerSetting> applied;   // What each live weight holds now.
  // Per layer, computed the first time a rank is asked for: U_r diag(S_r) is U * S[:r].
  std::vector<torch::Tensor> svd_u, svd_s, svd_vh;
  torch::Tensor x, y;
  std::string split;
  PlanCost rest;  // Everything no plan changes: other parameters, biases excluded (per layer).
  int threads = 1;
  // A cnn without MoE blocks: its feature maps of the sample are kept while no "features.*"
  // layer changes, so a change to fc or out runs only the head (most of a cnn's parameters, a
  // small share of its MACs).
  CnnImpl* cnn = nullptr;
  std::vector<torch::Tensor> flat_features;  // Per batch of the sample; empty = stale.

  const TunableLayer* find(const std::string& name) const {
    for (const auto& l : layers)
      if (l.name == name) return &l;
    return nullptr;
  }

  torch::Tensor compressed(size_t i, const LayerSetting& s) {
    torch::Tensor w = trained[i];
    const auto shape = w.sizes().vec();
    if (s.rank) {
      if (!svd_u[i].defined()) {
        auto svd = torch::linalg_svd(w.reshape({shape[0], -1}).to(torch::kFloat64), false);
        svd_u[i] = std::get<0>(svd);
        svd_s[i] = std::get<1>(svd);
        svd_vh[i] = std::get<2>(svd);
      }
      const int64_t k = *s.rank;
      auto us = svd_u[i].narrow(1, 0, k) * svd_s[i].narrow(0, 0, k);
      w = us.matmul(svd_vh[i].narrow(0, 0, k)).to(torch::kFloat32).reshape(shape);
    }
    if (s.sparsity) {
      w = w * prune_lowest(w.abs(), pruned_count(*s.sparsity, w.numel()));
    }
    if (s.bits) {
      ObserverOptions min_max;  // The quant section's default range: min-max.
      auto [lo, hi] = observe_range(w, min_max, true, *s.bits, QuantScheme::Symmetric);
      w = fake_quantize(w, choose_qparams(lo, hi, *s.bits, QuantScheme::Symmetric, true));
    }
    return w;
  }
};

PlanEvaluator::PlanEvaluator(const std::string& store_path, const std::string& reference,
                             int64_t samples)
    : impl_(std::make_unique<Impl>()) {
  if (samples < 1) {
    throw InputError("tune: the sample must hold at least 1 example, got " +
                     std::to_string(samples));
  }
  auto& d = *impl_;
  d.stored = load_finished_run(store_path, reference, "tune");
  const auto& spec = d.stored.spec;
  const std::string which =
      "run " + std::to_string(d.stored.run.id) + " (\"" + d.stored.run.name + "\")";
  std::string methods;
  if (spec.has_prune) methods = "prune";
  for (const auto& [key, section] : spec.method_sections)
    methods += (methods.empty() ? "" : "+") + key;
  if (!methods.empty()) {
    throw InputError(
        "tune: " + which + " is already compressed (" + methods +
        "); Tune starts from a dense run" +
        (d.stored.run.parent_id != 0
             ? ": tune run " + std::to_string(d.stored.run.parent_id) + ", the run it started from"
             : ""));
  }
  require_replaceable_layers(spec.model, "tune", "a plan");

  auto data = load_data(spec.data, spec.seed);
  const bool validation = data.validation.size() > 0;
  d.split = validation ? "validation" : "test";
  const auto& split = validation ? data.validation : data.test;
  const int64_t n = std::min<int64_t>(samples, split.size());
  d.x = split.x.slice(0, 0, n).contiguous();
  d.y = split.y.slice(0, 0, n).contiguous();

  d.model = make_stored_model(d.stored, data.sample_shape, data.classes);
  load_model_weights(*d.model.ptr(), d.stored.checkpoint);
  d.model.ptr()->eval();
  d.threads = automatic_threads();
  d.cnn = d.model.ptr()->as<CnnImpl>();
  if (d.cnn != nullptr && !d.cnn->head_moe.empty()) d.cnn = nullptr;
  auto& root = *d.model.ptr();
  const auto cost = model_cost(spec.model, data.sample_shape, data.classes);
  d.rest.params = count_parameters(root);
  d.rest.bytes = d.rest.params * 4;
  d.rest.macs = cost.macs;
  for (const auto& name : replaceable_layers(root)) {
    auto w = layer_weight(root, name);
    TunableLayer l;
    l.name = name;
    l.out = w.size(0);
    l.in = w.numel() / w.size(0);
    l.conv = w.dim() == 4;
    l.positions = layer_output_positions(root, name, data.sample_shape);
    l.bias = bias_size(root, name);
    const auto dense = layer_cost(l, {});
    d.rest.params -= dense.params;
    d.rest.bytes -= dense.bytes;
    d.rest.macs -= dense.macs;
    d.layers.push_back(l);
    d.live.push_back(w);
    d.trained.push_back(w.detach().clone());
  }
  d.applied.resize(d.layers.size());
  d.svd_u.resize(d.layers.size());
  d.svd_s.resize(d.layers.size());
  d.svd_vh.resize(d.layers.size());
}

PlanEvaluator::~PlanEvaluator() = default;

int64_t PlanEvaluator::run_id() const { return impl_->stored.run.id; }
const std::string& PlanEvaluator::run_name() const { return impl_->stored.run.name; }
const std::string& PlanEvaluator::split() const { return impl_->split; }
int64_t PlanEvaluator::samples() const { return impl_->x.size(0); }
const std::vector<TunableLayer>& PlanEvaluator::layers() const { return impl_->layers; }

PlanCost PlanEvaluator::dense_cost() const { return cost({}); }

PlanCost PlanEvaluator::cost(const CompressionPlan& plan) const {
  PlanCost total = impl_->rest;
  for (const auto& l : impl_->layers) {
    auto it = plan.layers.find(l.name);
    const auto c = layer_cost(l, it == plan.layers.end() ? LayerSetting{} : it->second);
    total.params += c.params;
    total.bytes += c.bytes;
    total.macs += c.macs;
  }
  return total;
}

void PlanEvaluator::check(const CompressionPlan& plan, const std::string& path) const {
  std::vector<std::string> names;
  for (const auto& l : impl_->layers) names.push_back(l.name);
  for (const auto& [name, s] : plan.layers) {
    const auto* layer = impl_->find(name);
    const std::string field = path + ".layers." + name;
    if (layer == nullptr) {
      const auto near = nearest_word(name, names);
      throw InputError(field + ": run " + std::to_string(run_id()) + "'s network has no layer \"" +
                       name + "\" a plan can change" +
                       (near.empty() ? "" : "; did you mean \"" + near + "\"?") + " (it has " +
                       join_names(names) + ")");
    }
    if (s.rank && *s.rank > layer->max_rank()) {
      throw InputError(field + ".rank: must be at most " + std::to_string(layer->max_rank()) +
                       " (min(m, n) of the layer's " + std::to_string(layer->out) + " x " +
                       std::to_string(layer->in) + " weight), got " + std::to_string(*s.rank));
    }
  }
}

std::optional<PlanMetrics> PlanEvaluator::evaluate(const CompressionPlan& plan,
                                                   const std::atomic<bool>* cancel) {
  check(plan);
  const auto start = std::chrono::steady_clock::now();
  auto cancelled = [&] { return cancel != nullptr && cancel->load(); };
  auto& d = *impl_;
  torch::NoGradGuard no_grad;
  // The calling thread's OpenMP team (a per-thread setting): the cores a trainer would get.
  at::set_num_threads(d.threads);
  for (size_t i = 0; i < d.layers.size(); ++i) {
    auto it = plan.layers.find(d.layers[i].name);
    const LayerSetting s = it == plan.layers.end() ? LayerSetting{} : it->second;
    if (s == d.applied[i]) continue;
    if (cancelled()) return std::nullopt;
    d.live[i].copy_(s.empty() ? d.trained[i] : d.compressed(i, s));
    d.applied[i] = s;
    if (d.layers[i].name.rfind("features.", 0) == 0) d.flat_features.clear();
  }
  double loss_sum = 0;
  int64_t correct = 0;
  const int64_t n = d.x.size(0);
  for (int64_t begin = 0; begin < n; begin += kEvalBatch) {
    if (cancelled()) return std::nullopt;
    const int64_t end = std::min(begin + kEvalBatch, n);
    torch::Tensor logits;
    if (d.cnn != nullptr) {
      const size_t batch = size_t(begin / kEvalBatch);
      if (d.flat_features.size() <= batch) {
        d.flat_features.push_back(d.cnn->features->forward(d.x.slice(0, begin, end)).flatten(1));
      }
      logits = d.cnn->head(d.flat_features[batch]);
    } else {
      logits = d.model.forward(d.x.slice(0, begin, end));
    }
    auto y = d.y.slice(0, begin, end);
    loss_sum += torch::cross_entropy_loss(logits, y, {}, at::Reduction::Sum).item<double>();
    correct += logits.argmax(1).eq(y).sum().item<int64_t>();
  }
  PlanMetrics m;
  m.loss = loss_sum / double(n);
  m.accuracy = double(correct) / double(n);
  m.cost = cost(plan);
  m.eval_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  return m;
}

}  // namespace slimlab
