#include "moe/moe_layer.h"

#include <limits>

#include "nn/activate.h"
#include "nn/gemm.h"

#include <torch/torch.h>

#include <cmath>

namespace slimlab {
namespace {

// Keeps the k largest of `scores` per row; weights renormalised over them when asked.
void keep_top_k(const torch::Tensor& scores, int64_t k, bool renormalize, Routing& r) {
  auto [values, index] = scores.topk(k, /*dim=*/1);
  r.expert = index;
  r.weight = renormalize ? values / values.sum(1, /*keepdim=*/true) : values;
}

torch::Tensor gumbel_noise_like(const torch::Tensor& t) {
  // g = -log(-log U), U ~ Uniform(0, 1); clamped away from 0 so the logs stay finite.
  auto u = torch::rand_like(t).clamp(1e-10, 1.0 - 1e-7);
  return -torch::log(-torch::log(u));
}

}  // namespace

int64_t expert_capacity(double capacity_factor, int64_t top_k, int64_t tokens, int64_t experts) {
  if (capacity_factor <= 0) return tokens * top_k;  // Dropless.
  // The small epsilon keeps exact products (1.25 * 2 * 64 / 8 = 20) from rounding up to 21.
  return int64_t(
      std::ceil(capacity_factor * double(top_k) * double(tokens) / double(experts) - 1e-9));
}

DispatchPlan plan_dispatch(const Routing& routing, int64_t capacity, int64_t experts) {
  DispatchPlan plan;
  const int64_t tokens = routing.expert.size(0);
  const int64_t k = routing.expert.size(1);
  plan.capacity = capacity;
  plan.expert = routing.expert.t().reshape({-1});
  plan.weight = routing.weight.t().reshape({-1});
  plan.token = torch::arange(tokens, torch::kInt64).repeat({k});
  // Slot of each assignment inside its expert = how many earlier assignments chose that expert.
  auto one_hot = torch::one_hot(plan.expert, experts);
  auto slot = (one_hot.cumsum(0) - 1).gather(1, plan.expert.unsqueeze(1)).squeeze(1);
  plan.keep = slot < capacity;
  return plan;
}

torch::Tensor switch_balance_loss(const torch::Tensor& probs, const torch::Tensor& expert,
                                  double alpha) {
  const int64_t experts = probs.size(1);
  auto f =
      torch::bincount(expert.reshape({-1}), {}, experts).to(probs.dtype()) / double(expert.numel());
  auto p = probs.mean(0);
  return alpha * double(experts) * (f * p).sum();
}

torch::Tensor importance_loss(const Routing& routing, int64_t experts, double w,
                              const torch::Tensor& keep) {
  auto gates = torch::zeros({routing.weight.size(0), experts}, routing.weight.options())
                   .scatter(1, routing.expert, routing.weight);
  auto importance = gates.sum(0);
  if (keep.defined()) importance = importance.masked_select(keep);
  auto mean = importance.mean();
  auto variance = (importance - mean).pow(2).mean();  // Population variance, as Shazeer's code.
  return w * variance / (mean * mean + 1e-10);
}

torch::Tensor router_z_loss(const torch::Tensor& logits, double coef) {
  return coef * torch::logsumexp(logits, 1).pow(2).mean();
}

MoeLayerImpl::MoeLayerImpl(MoeOptions options_) : options(std::move(options_)) { reset(); }

void MoeLayerImpl::reset() {
  const auto& o = options;
  TORCH_CHECK(o.dim() > 0, "MoeOptions: dim must be set from the surrounding model");
  TORCH_CHECK(o.experts() >= 1 && o.experts() <= 64, "MoeOptions: experts must be 1..64, got ",
              o.experts());
  TORCH_CHECK(o.top_k() >= 1 && o.top_k() <= o.experts(), "MoeOptions: top_k must be 1..",
              o.experts(), ", got ", o.top_k());
  router = register_module(
      "router", torch::nn::Linear(torch::nn::LinearOptions(o.dim(), o.experts()).bias(false)));
  if (o.gate() == GateKind::NoisyTopK) {
    noise = register_module(
        "noise", torch::nn::Linear(torch::nn::LinearOptions(o.dim(), o.experts()).bias(false)));
    // Shazeer et al. initialise W_noise to zero: every logit starts with noise of standard
    // deviation softplus(0) = 0.69, and training learns where to lower it.
    torch::NoGradGuard no_grad;
    noise->weight.zero_();
  }
  // Same initialisation as torch::nn::Linear: U(-1/sqrt(fan_in), 1/sqrt(fan_in)).
  auto uniform = [](std::vector<int64_t> shape, int64_t fan_in) {
    double bound = 1.0 / std::sqrt(double(fan_in));
    return torch::empty(shape).uniform_(-bound, bound);
  };
  const int64_t e = o.experts(), d = o.dim(), h = o.hidden();
  w1 = register_parameter("w1", uniform({e, d, h}, d));
  b1 = register_parameter("b1", uniform({e, h}, d));
  w2 = register_parameter("w2", uniform({e, h, d}, h));
  b2 = register_parameter("b2", uniform({e, d}, h));
}

Routing MoeLayerImpl::route(const torch::Tensor& x) {
  const auto& o = options;
  Routing r;
  r.logits = linear(router, x);
  if (expert_keep.defined()) {
    // A pruned expert never wins; the softmax then spreads over the live experts only, exactly
    // as a router built without them would.
    r.logits =
        r.logits.masked_fill(expert_keep.logical_not(), -std::numeric_limits<float>::infinity());
  }
  switch (o.gate()) {
    case GateKind::TopK:
      r.probs = torch::softmax(r.logits, 1);
      keep_top_k(r.probs, o.top_k(), o.renormalize(), r);
      break;
    case GateKind::NoisyTopK: {
      auto noisy = r.logits;
      if (is_training()) {
        noisy = r.logits + torch::randn_like(r.logits) * torch::softplus(linear(noise, x));
      }
      r.probs = torch::softmax(noisy, 1);
      keep_top_k(r.probs, o.top_k(), o.renormalize(), r);
      break;
    }
    case GateKind::Switch: {
      r.probs = torch::softmax(r.logits, 1);
      auto [value, index] = r.probs.max(1, /*keepdim=*/true);
      r.expert = index;
      r.weight = value;  // Not renormalised: the router learns through this weight.
      break;
    }
    case GateKind::GumbelSoftmax: {
      r.probs = torch::softmax(r.logits, 1);
      auto perturbed = is_training() ? r.logits + gumbel_noise_like(r.logits) : r.logits;
      auto relaxed = torch::softmax(perturbed / o.temperature(), 1);
      if (o.gumbel_mode() == GumbelMode::Hard) {
        auto [value, index] = relaxed.max(1, /*keepdim=*/true);
        r.expert = index;
        r.weight = value - value.detach() + 1.0;  // 1 forward, relaxed gradient backward.
      } else {
        keep_top_k(relaxed, o.top_k(), o.renormalize(), r);
      }
      break;
    }
  }
  return r;
}

torch::Tensor MoeLayerImpl::expert_forward(int64_t e, const torch::Tensor& tokens) {
  auto hidden = activate(slimlab::addmm(b1[e], tokens, w1[e]), options.activation());
  return slimlab::addmm(b2[e], hidden, w2[e]);
}

torch::Tensor MoeLayerImpl::dispatch_combine(const torch::Tensor& x, const DispatchPlan& plan) {
  const int64_t experts = options.experts();
  auto kept = plan.keep.nonzero().squeeze(1);
  auto expert = plan.expert.index_select(0, kept);
  // Group the kept assignments by expert (stable: token order inside an expert is kept).
  auto order = std::get<1>(expert.sort(/*stable=*/true, /*dim=*/0, /*descending=*/false));
  auto assignment = kept.index_select(0, order);
  auto token = plan.token.index_select(0, assignment);
  auto weight = plan.weight.index_select(0, assignment);
  auto counts = torch::bincount(expert, {}, experts);
  auto count = counts.accessor<int64_t, 1>();

  std::vector<torch::Tensor> outputs;
  int64_t begin = 0;
  for (int64_t e = 0; e < experts; ++e) {
    if (count[e] == 0) continue;
    auto rows = token.slice(0, begin, begin + count[e]);
    outputs.push_back(expert_forward(e, x.index_select(0, rows)));
    begin += count[e];
  }
  auto out = torch::zeros_like(x);
  if (outputs.empty()) return out;
  auto contribution = torch::cat(outputs) * weight.unsqueeze(1);
  return out.index_add(0, token, contribution);
}

void MoeLayerImpl::keep_experts(const torch::Tensor& keep) {
  expert_keep = keep.to(torch::kBool);
  live_experts_ = expert_keep.sum().item<int64_t>();
}

int64_t MoeLayerImpl::live_experts() const {
  return live_experts_ > 0 ? live_experts_ : options.experts();
}

torch::Tensor MoeLayerImpl::forward(torch::Tensor x) {
  const auto& o = options;
  const int64_t experts = o.experts();
  auto routing = route(x);
  const int64_t k = routing.expert.size(1);
  double factor = is_training() ? o.capacity_factor() : o.eval_capacity_factor();
  int64_t capacity = expert_capacity(factor, k, x.size(0), live_experts());
  auto plan = plan_dispatch(routing, capacity, experts);
  auto y = dispatch_combine(x, plan);

  last_top1 = routing.expert.select(1, 0).detach();  // Evaluation reads only this.
  if (!is_training()) return y;

  auto zero = torch::zeros({}, x.options());
  last_aux.balance = o.balance_loss() > 0
                         ? switch_balance_loss(routing.probs, routing.expert, o.balance_loss())
                         : zero;
  last_aux.importance = o.importance_loss() > 0
                            ? importance_loss(routing, experts, o.importance_loss(), expert_keep)
                            : zero;
  if (live_experts_ > 0) {
    // After expert pruning: alpha * E_live * sum f P, what the mixture without them computes
    // (f and P of pruned experts are 0).
    last_aux.balance = last_aux.balance * (double(live_experts_) / double(experts));
  }
  last_aux.z = o.z_loss() > 0 ? router_z_loss(routing.logits, o.z_loss()) : zero;

  torch::NoGradGuard no_grad;
  last_counts.assigned = torch::bincount(plan.expert, {}, experts);
  last_counts.kept = torch::bincount(plan.expert.masked_select(plan.keep), {}, experts);
  last_counts.prob_sum = routing.probs.detach().sum(0).to(torch::kFloat64);
  last_counts.tokens = x.size(0);
  last_counts.top_k = k;
  return y;
}

std::vector<MoeLayer> find_moe_layers(torch::nn::Module& module) {
  std::vector<MoeLayer> layers;
  for (const auto& child : module.modules(/*include_self=*/true)) {
    if (auto layer = std::dynamic_pointer_cast<MoeLayerImpl>(child)) {
      layers.emplace_back(layer);
    }
  }
  return layers;
}

}  // namespace slimlab
