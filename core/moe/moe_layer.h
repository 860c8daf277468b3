#pragma once

#include <torch/nn/cloneable.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/pimpl.h>

#include <vector>

#include "moe/moe_options.h"

namespace slimlab {

/// Which experts each token goes to, and with what weight. Rows are tokens; the k columns are
/// in rank order (best expert first).
struct Routing {
  torch::Tensor logits;  ///< [T, E] router logits x W_g (no noise): what the z-loss sees.
  torch::Tensor probs;   ///< [T, E] router probabilities P (noisy gate: with its noise).
  torch::Tensor expert;  ///< [T, k] int64 chosen experts.
  torch::Tensor weight;  ///< [T, k] combine weights; carry the gradient to the router.
};

/// The assignments of one forward pass, flattened rank-major (every token's first choice, then
/// every token's second, ...): the order in which experts fill their capacity (GShard).
struct DispatchPlan {
  torch::Tensor token;   ///< [T*k] int64 token of each assignment.
  torch::Tensor expert;  ///< [T*k] int64 expert of each assignment.
  torch::Tensor weight;  ///< [T*k] combine weight.
  torch::Tensor keep;    ///< [T*k] bool: within the expert's capacity.
  int64_t capacity = 0;
};

/// Auxiliary losses of one forward pass, each already multiplied by its coefficient.
struct AuxLosses {
  torch::Tensor balance;     ///< Switch: alpha * E * sum_i f_i P_i.
  torch::Tensor importance;  ///< w * CV(sum_x G(x))^2.
  torch::Tensor z;           ///< coef * mean_x logsumexp(h(x))^2.
  torch::Tensor total() const { return balance + importance + z; }
};

/// Router counts of one forward pass (detached, on the CPU, cheap to accumulate).
struct RouterCounts {
  torch::Tensor assigned;  ///< [E] int64 assignments before capacity.
  torch::Tensor kept;      ///< [E] int64 assignments processed.
  torch::Tensor prob_sum;  ///< [E] float64 sum over tokens of router probability.
  int64_t tokens = 0;
  int64_t top_k = 0;
};

/// C = ceil(capacity_factor * k * tokens / E); dropless (every assignment fits) when
/// capacity_factor <= 0.
int64_t expert_capacity(double capacity_factor, int64_t top_k, int64_t tokens, int64_t experts);

/// Orders assignments rank-major and marks those beyond each expert's capacity as dropped.
DispatchPlan plan_dispatch(const Routing& routing, int64_t capacity, int64_t experts);

/// Switch load-balancing loss alpha * E * sum_i f_i P_i with f_i the share of the T*k
/// assignments (before capacity) sent to expert i and P_i the mean router probability.
torch::Tensor switch_balance_loss(const torch::Tensor& probs, const torch::Tensor& expert,
                                  double alpha);
/// w * CV(sum_x G(x))^2 with the population coefficient of variation over experts (only those
/// marked in `keep`, when given: the live ones after expert pruning).
torch::Tensor importance_loss(const Routing& routing, int64_t experts, double w,
                              const torch::Tensor& keep = {});
/// coef * (1/T) * sum_x (logsumexp_j h_j(x))^2 (ST-MoE).
torch::Tensor router_z_loss(const torch::Tensor& logits, double coef);

/// A mixture-of-experts feed-forward layer (see MoeOptions). forward maps tokens [T, dim] to
/// [T, dim]; a dropped assignment contributes zero (the caller's residual carries the token).
/// After each forward, `last_aux`, `last_counts` and `last_top1` describe it.
class MoeLayerImpl : public torch::nn::Cloneable<MoeLayerImpl> {
 public:
  explicit MoeLayerImpl(MoeOptions options);
  void reset() override;
  torch::Tensor forward(torch::Tensor x);

  /// The gate: logits, probabilities, chosen experts and weights for tokens x [T, dim].
  Routing route(const torch::Tensor& x);
  /// The batched experts: gathers each expert's kept tokens, runs it once, and scatters the
  /// weighted outputs back with index_add. Returns [T, dim].
  torch::Tensor dispatch_combine(const torch::Tensor& x, const DispatchPlan& plan);
  /// Expert e applied to tokens [n, dim].
  torch::Tensor expert_forward(int64_t e, const torch::Tensor& tokens);

  MoeOptions options;
  torch::nn::Linear router{nullptr};
  torch::nn::Linear noise{nullptr};  ///< Noisy top-k only.
  torch::Tensor w1, b1, w2, b2;      ///< [E, dim, hidden], [E, hidden], [E, hidden, dim], [E, dim].

  /// Expert-load pruning: experts marked false in `keep` [E] get a -inf router logit, so no
  /// token goes to them, and capacity counts only the live ones (as a router built without the
  /// pruned experts would).
  void keep_experts(const torch::Tensor& keep);
  torch::Tensor expert_keep;  ///< [E] bool; undefined = every expert is live.
  int64_t live_experts() const;

  AuxLosses last_aux;
  RouterCounts last_counts;
  torch::Tensor last_top1;  ///< [T] int64 first-choice expert of each token.

 private:
  int64_t live_experts_ = 0;  ///< 0 = all.
};
TORCH_MODULE(MoeLayer);

/// Every MoE layer inside `module`, in registration order.
std::vector<MoeLayer> find_moe_layers(torch::nn::Module& module);

}  // namespace slimlab
