// Low-rank factorisation against a plain SVD (torch::linalg::svd in float64) and hand
// computations: the factors reproduce W_k = U_k S_k V_k^T, the factorised layers compute x W_k^T,
// at full rank they change nothing, and the rank rules pick what their formulas say.
#include <gtest/gtest.h>

#include <torch/torch.h>

#include <cmath>
#include <stdexcept>

#include "lowrank/factorize.h"
#include "lowrank/low_rank_layers.h"

using namespace slimlab;

namespace {

/// W_k from a plain SVD, float64.
torch::Tensor plain_rank_k(const torch::Tensor& w, int64_t k) {
  auto [u, s, vh] = torch::linalg::svd(w.to(torch::kFloat64), false, c10::nullopt);
  return u.slice(1, 0, k).matmul(torch::diag(s.slice(0, 0, k))).matmul(vh.slice(0, 0, k));
}

double max_diff(const torch::Tensor& a, const torch::Tensor& b) {
  return (a.to(torch::kFloat64) - b.to(torch::kFloat64)).abs().max().item<double>();
}

}  // namespace

TEST(LowRankTest, FactorsReproduceTheTruncatedSvdAndItsError) {
  torch::manual_seed(1);
  auto w = torch::randn({24, 40});
  for (int64_t k : {1, 5, 24}) {
    auto f = factorize(w, k);
    EXPECT_EQ(f.first.sizes(), (std::vector<int64_t>{k, 40}));
    EXPECT_EQ(f.second.sizes(), (std::vector<int64_t>{24, k}));
    auto wk = plain_rank_k(w, k);
    EXPECT_LT(max_diff(f.second.matmul(f.first), wk), 1e-5) << "k = " << k;
    // Eckart-Young: the error is the dropped singular values' share of the energy.
    const double direct = (w.to(torch::kFloat64) - wk).norm().item<double>() /
                          w.to(torch::kFloat64).norm().item<double>();
    EXPECT_NEAR(f.relative_error, direct, 1e-9);
    EXPECT_NEAR(reconstruction_error(w, f), direct, 1e-6);
  }
  EXPECT_NEAR(factorize(w, 24).relative_error, 0.0, 1e-12);  // Full rank: exact.
}

TEST(LowRankTest, OutOfRangeRanksAndNonMatricesAreRefused) {
  auto w = torch::randn({8, 5});
  EXPECT_THROW(factorize(w, 0), std::invalid_argument);
  EXPECT_THROW(factorize(w, 6), std::invalid_argument);  // Above min(m, n) = 5.
  EXPECT_THROW(factorize(torch::randn({2, 3, 4}), 1), std::invalid_argument);
  try {
    factorize(w, 6);
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("outside 1..5"), std::string::npos) << e.what();
  }
}

TEST(LowRankTest, RankRulesFollowTheirFormulas) {
  // Energies of s = (3, 2, 1): 9/14 = 0.643, 13/14 = 0.929, 1.
  auto s = torch::tensor({3.0, 2.0, 1.0}, torch::kFloat64);
  EXPECT_EQ(rank_for_energy(s, 0.5), 1);
  EXPECT_EQ(rank_for_energy(s, 9.0 / 14.0), 1);
  EXPECT_EQ(rank_for_energy(s, 0.9), 2);
  EXPECT_EQ(rank_for_energy(s, 0.95), 3);
  EXPECT_EQ(rank_for_energy(s, 1.0), 3);
  EXPECT_THROW(rank_for_energy(s, 0.0), std::invalid_argument);
  EXPECT_THROW(rank_for_energy(s, 1.01), std::invalid_argument);
  // Linear(784 -> 256) at a quarter of its parameters: k (256 + 784) <= 0.25 x 256 x 784.
  EXPECT_EQ(rank_for_ratio(256, 784, 0.25), 48);
  EXPECT_LE(48 * (256 + 784), 0.25 * 256 * 784);
  EXPECT_GT(49 * (256 + 784), 0.25 * 256 * 784);
  EXPECT_EQ(rank_for_ratio(10, 10, 0.01), 1);  // Never below 1.
  EXPECT_EQ(rank_for_ratio(6, 15, 0.7), 3);    // 3 x 21 = 63 = 0.7 x 90 exactly.
  EXPECT_THROW(rank_for_ratio(10, 10, 0.0), std::invalid_argument);
  EXPECT_NEAR(break_even_rank(256, 784), 192.98, 0.01);
}

TEST(LowRankTest, FactorisedLinearComputesXTimesWkAndIsExactAtFullRank) {
  torch::manual_seed(2);
  torch::nn::Linear dense(30, 20);
  auto x = torch::randn({7, 30});
  torch::NoGradGuard no_grad;
  for (int64_t k : {3, 20}) {
    auto low = factorize_linear(*dense, k);
    auto expected = x.to(torch::kFloat64).matmul(plain_rank_k(dense->weight, k).t()) +
                    dense->bias.to(torch::kFloat64);
    EXPECT_LT(max_diff(low->forward(x), expected), 1e-5) << "k = " << k;
    EXPECT_EQ(low->parameters().size(), 3u);  // first.weight, second.weight, second.bias.
  }
  EXPECT_LT(max_diff(factorize_linear(*dense, 20)->forward(x), dense->forward(x)), 1e-5);
}

TEST(LowRankTest, FactorisedConvMatchesTheReshapedKernelAndIsExactAtFullRank) {
  torch::manual_seed(3);
  torch::nn::Conv2d conv(torch::nn::Conv2dOptions(3, 8, 3).padding(1).stride(2));
  auto x = torch::randn({2, 3, 9, 9});
  torch::NoGradGuard no_grad;
  const auto& w = conv->weight;  // [8, 3, 3, 3] -> [8, 27]
  for (int64_t k : {2, 8}) {
    auto low = factorize_conv(*conv, k);
    auto wk = plain_rank_k(w.reshape({8, 27}), k).to(torch::kFloat32).reshape(w.sizes());
    auto expected = torch::conv2d(x, wk, conv->bias, /*stride=*/2, /*padding=*/1);
    EXPECT_LT(max_diff(low->forward(x), expected), 1e-5) << "k = " << k;
  }
  EXPECT_LT(max_diff(factorize_conv(*conv, 8)->forward(x), conv->forward(x)), 1e-5);
  EXPECT_THROW(factorize_conv(*conv, 9), std::invalid_argument);  // min(8, 27) = 8.
  torch::nn::Conv2d grouped(torch::nn::Conv2dOptions(4, 4, 3).groups(2));
  EXPECT_THROW(factorize_conv(*grouped, 2), std::invalid_argument);
}

TEST(LowRankTest, FactorisingDrawsNoRandomNumbers) {
  torch::nn::Linear dense(12, 8);
  torch::nn::Conv2d conv(torch::nn::Conv2dOptions(3, 4, 3));
  torch::manual_seed(7);
  auto expected = torch::rand({4});
  torch::manual_seed(7);
  factorize_linear(*dense, 3);
  factorize_conv(*conv, 2);
  EXPECT_TRUE(torch::rand({4}).equal(expected));
}

TEST(LowRankTest, TheFactorisedLayerTrains) {
  torch::manual_seed(4);
  torch::nn::Linear dense(6, 4);
  auto low = factorize_linear(*dense, 2);
  auto x = torch::randn({16, 6});
  auto loss = low->forward(x).pow(2).mean();
  loss.backward();
  EXPECT_TRUE(low->first->weight.grad().defined());
  EXPECT_TRUE(low->second->weight.grad().defined());
  EXPECT_GT(low->first->weight.grad().abs().sum().item<double>(), 0);
}
