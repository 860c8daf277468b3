// Mixture-of-experts layer: golden values for the losses and capacity, and the batched dispatch
// checked against a plain per-token reference (STYLE.md 13).
#include <gtest/gtest.h>

#include <torch/torch.h>

#include <algorithm>
#include <cmath>

#include "measure/model_cost.h"
#include "models/model_factory.h"
#include "moe/moe_layer.h"
#include "moe/router_stats.h"
#include "moe/upcycle.h"
#include "moe_reference.h"

using namespace slimlab;

namespace {

Routing make_routing(torch::Tensor probs, torch::Tensor expert, torch::Tensor weight) {
  Routing r;
  r.logits = probs.log();
  r.probs = probs;
  r.expert = expert;
  r.weight = weight;
  return r;
}

const char* gate_name(GateKind g) {
  switch (g) {
    case GateKind::TopK:
      return "top-k";
    case GateKind::NoisyTopK:
      return "noisy-top-k";
    case GateKind::Switch:
      return "switch";
    default:
      return "gumbel-softmax";
  }
}

}  // namespace

TEST(MoeLossTest, SwitchLossIsAlphaWhenUniformAndAlphaTimesEWhenCollapsed) {
  const int64_t tokens = 64, experts = 8;
  const double alpha = 0.01;
  auto uniform = torch::full({tokens, experts}, 1.0 / experts, torch::kFloat64);
  auto spread = torch::arange(tokens, torch::kInt64).remainder(experts).unsqueeze(1);
  EXPECT_NEAR(switch_balance_loss(uniform, spread, alpha).item<double>(), alpha, 1e-12);

  auto collapsed = torch::zeros({tokens, experts}, torch::kFloat64);
  collapsed.select(1, 3).fill_(1.0);
  auto all_three = torch::full({tokens, 1}, 3, torch::kInt64);
  EXPECT_NEAR(switch_balance_loss(collapsed, all_three, alpha).item<double>(), alpha * experts,
              1e-12);
  // Top-2 assignments count both choices: f is over the T*k assignments.
  auto pairs = torch::stack({spread.squeeze(1), (spread.squeeze(1) + 1).remainder(experts)}, 1);
  EXPECT_NEAR(switch_balance_loss(uniform, pairs, alpha).item<double>(), alpha, 1e-12);
}

TEST(MoeLossTest, ZLossAndImportanceLossMatchHandComputation) {
  auto logits = torch::tensor({0.0, 0.0, 1.0, 2.0}, torch::kFloat64).reshape({2, 2});
  double lse0 = std::log(2.0), lse1 = 2.0 + std::log(1.0 + std::exp(-1.0));
  EXPECT_NEAR(router_z_loss(logits, 1e-3).item<double>(), 1e-3 * (lse0 * lse0 + lse1 * lse1) / 2.0,
              1e-15);

  // Gate weights: token 0 -> expert 0 (0.75) + expert 1 (0.25); token 1 -> expert 0 (1.0).
  // Importance = [1.75, 0.25, 0]; mean 2/3; population variance = 0.5972...; CV^2 = 1.34375.
  auto r = make_routing(torch::full({2, 3}, 1.0 / 3, torch::kFloat64),
                        torch::tensor({0, 1, 0, 2}, torch::kInt64).reshape({2, 2}),
                        torch::tensor({0.75, 0.25, 1.0, 0.0}, torch::kFloat64).reshape({2, 2}));
  double mean = 2.0 / 3.0;
  double variance = (std::pow(1.75 - mean, 2) + std::pow(0.25 - mean, 2) + mean * mean) / 3.0;
  EXPECT_NEAR(importance_loss(r, 3, 0.1).item<double>(), 0.1 * variance / (mean * mean), 1e-9);
}

TEST(MoeCapacityTest, CapacityFormulaAndDropless) {
  EXPECT_EQ(expert_capacity(1.25, 2, 64, 8), 20);  // ceil(1.25 * 2 * 64 / 8) = 20 exactly.
  EXPECT_EQ(expert_capacity(1.0, 1, 10, 4), 3);    // ceil(2.5).
  EXPECT_EQ(expert_capacity(1.2, 2, 100, 8), 30);  // ceil(30.0).
  EXPECT_EQ(expert_capacity(0.3, 1, 10, 4), 1);    // ceil(0.75).
  EXPECT_EQ(expert_capacity(0.0, 2, 50, 8), 100);  // Dropless: every assignment fits.
  EXPECT_EQ(expert_capacity(-1.0, 1, 7, 2), 7);
}

TEST(MoeCapacityTest, DropsExactlyTheAssignmentsBeyondCapacityFirstChoicesFirst) {
  // 6 tokens, 2 experts, top-2. First choices: 0,0,0,0,1,0; second: the other expert.
  auto first = torch::tensor({0, 0, 0, 0, 1, 0}, torch::kInt64);
  auto expert = torch::stack({first, 1 - first}, 1);
  auto weight = torch::full({6, 2}, 0.5);
  auto r = make_routing(torch::full({6, 2}, 0.5), expert, weight);
  auto plan = plan_dispatch(r, /*capacity=*/4, /*experts=*/2);
  // Rank-major: expert 0 takes first choices of tokens 0-3, drops token 5's first choice;
  // expert 1 takes token 4's first choice, then second choices of tokens 0, 1, 2 and drops the
  // rest (capacity 4), and token 4's second choice (expert 0) is dropped too.
  std::vector<bool> keep(plan.keep.data_ptr<bool>(), plan.keep.data_ptr<bool>() + 12);
  std::vector<bool> expected = {true, true, true, true,  true,  false,   // rank 0, tokens 0..5
                                true, true, true, false, false, false};  // rank 1
  EXPECT_EQ(keep, expected);
  EXPECT_EQ(plan.keep.sum().item<int64_t>(), 8);
}

struct DispatchCase {
  int64_t tokens, experts, k;
  double capacity_factor;
  GateKind gate;
};

void PrintTo(const DispatchCase& c, std::ostream* os) {
  *os << "tokens=" << c.tokens << " experts=" << c.experts << " k=" << c.k
      << " capacity_factor=" << c.capacity_factor << " gate=" << gate_name(c.gate);
}

class MoeDispatchTest : public ::testing::TestWithParam<DispatchCase> {};

TEST_P(MoeDispatchTest, BatchedMatchesPerTokenReferenceInValueAndGradient) {
  const auto c = GetParam();
  SCOPED_TRACE(::testing::Message()
               << "tokens=" << c.tokens << " experts=" << c.experts << " k=" << c.k
               << " capacity_factor=" << c.capacity_factor << " gate=" << gate_name(c.gate));
  torch::manual_seed(1234 + c.tokens * 7 + c.experts);
  auto options = MoeOptions(c.experts, 12).hidden(10).top_k(c.k).gate(c.gate);
  MoeLayer layer(options);
  auto x = torch::randn({c.tokens, 12}, torch::requires_grad());
  auto routing = layer->route(x);
  auto capacity = expert_capacity(c.capacity_factor, routing.expert.size(1), c.tokens, c.experts);
  auto plan = plan_dispatch(routing, capacity, c.experts);
  auto probe = torch::randn({c.tokens, 12});

  auto batched = layer->dispatch_combine(x, plan);
  auto batched_grads = torch::autograd::grad({(batched * probe).sum()},
                                             {x, layer->w1, layer->b2, layer->router->weight}, {},
                                             /*retain_graph=*/true, false,
                                             /*allow_unused=*/true);
  auto reference = slimlab::testing::reference_moe(*layer, x, routing, capacity);
  auto reference_grads = torch::autograd::grad({(reference * probe).sum()},
                                               {x, layer->w1, layer->b2, layer->router->weight}, {},
                                               /*retain_graph=*/true, false, true);
  EXPECT_TRUE(torch::allclose(batched, reference, 1e-5, 1e-5))
      << "max diff " << (batched - reference).abs().max().item<double>();
  const char* names[] = {"x", "w1", "b2", "router"};
  for (size_t i = 0; i < batched_grads.size(); ++i) {
    ASSERT_EQ(batched_grads[i].defined(), reference_grads[i].defined()) << names[i];
    if (!batched_grads[i].defined()) continue;
    EXPECT_TRUE(torch::allclose(batched_grads[i], reference_grads[i], 1e-5, 1e-5))
        << names[i] << " max diff "
        << (batched_grads[i] - reference_grads[i]).abs().max().item<double>();
  }
}

INSTANTIATE_TEST_SUITE_P(Shapes, MoeDispatchTest,
                         ::testing::Values(DispatchCase{1, 1, 1, 1.0, GateKind::TopK},
                                           DispatchCase{7, 3, 2, 1.0, GateKind::TopK},
                                           DispatchCase{33, 8, 2, 1.25, GateKind::TopK},
                                           DispatchCase{33, 8, 2, 0.5, GateKind::TopK},
                                           DispatchCase{64, 8, 3, 0.0, GateKind::TopK},
                                           DispatchCase{64, 4, 4, 1.0, GateKind::TopK},
                                           DispatchCase{50, 8, 2, 1.0, GateKind::NoisyTopK},
                                           DispatchCase{50, 8, 1, 1.0, GateKind::Switch},
                                           DispatchCase{20, 16, 1, 0.25, GateKind::Switch},
                                           DispatchCase{40, 6, 2, 1.25, GateKind::GumbelSoftmax}));

class MoeGateTest : public ::testing::TestWithParam<std::pair<GateKind, GumbelMode>> {};

TEST_P(MoeGateTest, TaskGradientReachesTheRouter) {
  auto [gate, mode] = GetParam();
  torch::manual_seed(5);
  MoeLayer layer(MoeOptions(4, 8)
                     .hidden(8)
                     .gate(gate)
                     .gumbel_mode(mode)
                     .top_k(2)
                     .capacity_factor(0)
                     .balance_loss(0));
  layer->train();
  auto y = layer->forward(torch::randn({32, 8}));
  (y * torch::randn_like(y)).sum().backward();
  ASSERT_TRUE(layer->router->weight.grad().defined()) << gate_name(gate);
  EXPECT_GT(layer->router->weight.grad().abs().sum().item<double>(), 0.0) << gate_name(gate);
}

INSTANTIATE_TEST_SUITE_P(
    AllGates, MoeGateTest,
    ::testing::Values(std::make_pair(GateKind::TopK, GumbelMode::Soft),
                      std::make_pair(GateKind::NoisyTopK, GumbelMode::Soft),
                      std::make_pair(GateKind::Switch, GumbelMode::Soft),
                      std::make_pair(GateKind::GumbelSoftmax, GumbelMode::Soft),
                      std::make_pair(GateKind::GumbelSoftmax, GumbelMode::Hard)),
    [](const auto& info) {
      std::string name = gate_name(info.param.first);
      if (info.param.first == GateKind::GumbelSoftmax) {
        name += info.param.second == GumbelMode::Hard ? "_hard" : "_soft";
      }
      std::replace(name.begin(), name.end(), '-', '_');
      return name;
    });

TEST(MoeGateTest, BalanceLossAloneTrainsARenormalisedTopOneRouter) {
  torch::manual_seed(6);
  MoeLayer layer(MoeOptions(4, 8).hidden(8).top_k(1).balance_loss(0.01));
  layer->forward(torch::randn({32, 8}));
  layer->last_aux.total().backward();
  EXPECT_GT(layer->router->weight.grad().abs().sum().item<double>(), 0.0);
}

TEST(MoeGateTest, NoiseOnlyInTrainingAndSameSeedSameRouting) {
  torch::manual_seed(7);
  MoeLayer layer(MoeOptions(8, 16).gate(GateKind::NoisyTopK).top_k(2));
  {
    torch::NoGradGuard no_grad;
    layer->noise->weight.fill_(0.5);  // Plenty of noise.
  }
  auto x = torch::randn({200, 16});
  layer->eval();
  auto a = layer->route(x);
  auto b = layer->route(x);
  EXPECT_TRUE(torch::equal(a.expert, b.expert));
  auto clean = torch::softmax(layer->router->forward(x), 1).topk(2, 1);
  EXPECT_TRUE(torch::equal(a.expert, std::get<1>(clean)));
  layer->train();
  torch::manual_seed(8);
  auto c = layer->route(x);
  torch::manual_seed(8);
  auto d = layer->route(x);
  EXPECT_TRUE(torch::equal(c.expert, d.expert));   // Same seed, same routing.
  EXPECT_FALSE(torch::equal(c.expert, a.expert));  // Training adds noise.
}

TEST(RouterStatsTest, WindowStatisticsByHand) {
  RouterWindow window(4);
  RouterCounts counts;
  counts.assigned = torch::tensor({6, 2, 0, 0}, torch::kInt64);
  counts.kept = torch::tensor({4, 2, 0, 0}, torch::kInt64);
  counts.prob_sum = torch::tensor({4.0, 2.0, 1.0, 1.0}, torch::kFloat64);
  counts.tokens = 8;
  counts.top_k = 1;
  AuxLosses aux{torch::tensor(0.02), torch::tensor(0.0), torch::tensor(0.001)};
  window.add(counts, aux);
  window.add(counts, aux);
  auto r = window.take(20, 0);
  EXPECT_EQ(r.load_share, (std::vector<double>{0.75, 0.25, 0, 0}));
  EXPECT_EQ(r.importance, (std::vector<double>{0.5, 0.25, 0.125, 0.125}));
  // Shares 0.75, 0.25, 0, 0: mean 0.25, population std sqrt(0.09375) = 0.30619.
  EXPECT_NEAR(r.load_cv, std::sqrt(0.09375) / 0.25, 1e-12);
  EXPECT_NEAR(r.max_over_mean, 3.0, 1e-12);
  EXPECT_NEAR(r.gate_entropy,
              -(0.5 * std::log(0.5) + 0.25 * std::log(0.25) + 2 * 0.125 * std::log(0.125)), 1e-12);
  EXPECT_NEAR(r.dropped_share, 0.25, 1e-12);
  EXPECT_EQ(r.dead_experts, 2);
  EXPECT_NEAR(r.balance_loss, 0.02, 1e-7);
  EXPECT_TRUE(window.empty());
}

TEST(ModelCostTest, CountsMatchTheBuiltModels) {
  struct Case {
    const char* name;
    ModelSpec spec;
    std::vector<int64_t> shape;
  };
  ModelSpec mlp;
  ModelSpec moe;
  moe.kind = ModelKind::MoeMlp;
  moe.moe_mlp.width(32).blocks(2).moe(MoeOptions(4).hidden(16).top_k(2));
  ModelSpec noisy = moe;
  noisy.moe_mlp.moe(MoeOptions(4).hidden(16).gate(GateKind::NoisyTopK));
  ModelSpec cnn;
  cnn.kind = ModelKind::Cnn;
  cnn.cnn.channels({4, 8}).kernel_size(3).fc_hidden(16).moe_blocks(1).moe(MoeOptions(3).hidden(8));
  ModelSpec vit;
  vit.kind = ModelKind::Vit;
  vit.vit.patch_size(7).dim(16).depth(2).heads(4);
  for (const auto& c :
       {Case{"mlp", mlp, {1, 28, 28}}, Case{"moe-mlp", moe, {2}}, Case{"vit", vit, {1, 28, 28}},
        Case{"noisy", noisy, {1, 28, 28}}, Case{"cnn+moe", cnn, {1, 28, 28}}}) {
    SCOPED_TRACE(c.name);
    auto model = make_model(c.spec, c.shape, 10);
    auto cost = model_cost(c.spec, c.shape, 10);
    EXPECT_EQ(cost.params, count_parameters(*model.ptr()));
    EXPECT_LE(cost.active_params, cost.params);
    EXPECT_LE(cost.macs, cost.macs_all_experts);
  }
  // MoE-MLP by hand: input 2->32, two blocks of (router 32*4, 4 experts 32->16->32), head 32->10.
  auto cost = model_cost(moe, {2}, 10);
  int64_t expert = 32 * 16 + 16 + 16 * 32 + 32;
  EXPECT_EQ(cost.active_params, (2 * 32 + 32) + 2 * (32 * 4 + 2 * expert) + (32 * 10 + 10));
  EXPECT_EQ(cost.macs, 2 * 32 + 2 * (32 * 4 + 2 * 2 * 32 * 16) + 32 * 10);
  // CNN: conv 1->4 on 28x28, conv 4->8 on 14x14, both 3x3.
  auto cnn_cost = model_cost(cnn, {1, 28, 28}, 10);
  // Head: fc 8*7*7 -> 16, MoE (router 16*3, two experts of 16->8->16), out 16 -> 10.
  EXPECT_EQ(cnn_cost.macs, 4 * 9 * 28 * 28 + 8 * 4 * 9 * 14 * 14 + 8 * 49 * 16 +
                               (16 * 3 + 2 * 2 * 16 * 8) + 16 * 10);
}

TEST(MoeCnnTest, HeadMoeTrainsAndReportsRouting) {
  torch::manual_seed(3);
  ModelSpec cnn;
  cnn.kind = ModelKind::Cnn;
  cnn.cnn.channels({4}).kernel_size(3).fc_hidden(16).moe_blocks(1).moe(MoeOptions(4).hidden(8));
  auto model = make_model(cnn, {1, 8, 8}, 3);
  auto layers = find_moe_layers(*model.ptr());
  ASSERT_EQ(layers.size(), 1u);
  auto out = model.forward(torch::randn({5, 1, 8, 8}));
  EXPECT_EQ(out.sizes(), (std::vector<int64_t>{5, 3}));
  EXPECT_EQ(layers[0]->last_top1.size(0), 5);
}

TEST(UpcycleTest, IdenticalExpertsReproduceTheDenseModel) {
  torch::manual_seed(11);
  ModelSpec dense_spec;
  dense_spec.kind = ModelKind::MoeMlp;
  dense_spec.moe_mlp.width(16).moe(MoeOptions(1).hidden(12).top_k(1).capacity_factor(0));
  auto dense = make_model(dense_spec, {6}, 3);
  ModelSpec moe_spec = dense_spec;
  moe_spec.moe_mlp.moe(
      MoeOptions(4).hidden(12).top_k(2).capacity_factor(0).eval_capacity_factor(0));
  auto moe = make_model(moe_spec, {6}, 3);
  upcycle_from_dense(*moe.ptr(), *dense.ptr(), /*noise=*/0.0);
  dense.ptr()->eval();
  moe.ptr()->eval();
  auto x = torch::randn({20, 6});
  // Every expert is the dense expert and the top-2 weights sum to 1: the same function.
  EXPECT_TRUE(torch::allclose(moe.forward(x), dense.forward(x), 1e-5, 1e-6));

  auto noisy = make_model(moe_spec, {6}, 3);
  upcycle_from_dense(*noisy.ptr(), *dense.ptr(), /*noise=*/0.05);
  auto w1 = find_moe_layers(*noisy.ptr())[0]->w1;
  EXPECT_FALSE(torch::equal(w1[0], w1[1]));  // Noise lets the experts diverge.
  EXPECT_LT((w1[0] - w1[1]).abs().max().item<double>(), 1.0);
}

TEST(UpcycleTest, MismatchedWidthsNameTheParameter) {
  ModelSpec dense_spec;
  dense_spec.kind = ModelKind::MoeMlp;
  dense_spec.moe_mlp.width(16).moe(MoeOptions(1).hidden(12).top_k(1));
  ModelSpec moe_spec = dense_spec;
  moe_spec.moe_mlp.moe(MoeOptions(4).hidden(24).top_k(2));
  auto dense = make_model(dense_spec, {6}, 3);
  auto moe = make_model(moe_spec, {6}, 3);
  try {
    upcycle_from_dense(*moe.ptr(), *dense.ptr(), 0.0);
    FAIL() << "accepted experts of another width";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("moe0.w1"), std::string::npos) << e.what();
  }
}

TEST(MoeLayerTest, HardGumbelWeighsOneAndEvaluationSkipsTheBookkeeping) {
  torch::manual_seed(12);
  MoeLayer layer(MoeOptions(4, 8)
                     .hidden(8)
                     .gate(GateKind::GumbelSoftmax)
                     .gumbel_mode(GumbelMode::Hard)
                     .capacity_factor(0));
  layer->train();
  auto routing = layer->route(torch::randn({16, 8}));
  EXPECT_TRUE(torch::allclose(routing.weight, torch::ones_like(routing.weight)));
  layer->forward(torch::randn({16, 8}));
  EXPECT_EQ(layer->last_counts.assigned.sum().item<int64_t>(), 16);
  EXPECT_EQ(layer->last_counts.kept.sum().item<int64_t>(), 16);
  layer->eval();
  layer->last_counts = RouterCounts{};
  layer->forward(torch::randn({5, 8}));
  EXPECT_EQ(layer->last_top1.size(0), 5);
  EXPECT_FALSE(layer->last_counts.assigned.defined());
}
