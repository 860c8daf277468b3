// Uniform quantisation against LibTorch's own fake_quantize_per_tensor_affine and
// fake_quantize_per_channel_affine on the same inputs, every bit-width 2..8, affine and
// symmetric; hand-computed scales and zero points; the straight-through gradient; the ~6 dB per
// bit of SQNR on uniform data; and what each range observer does with an outlier.
#include <gtest/gtest.h>

#include <torch/torch.h>

#include <cmath>
#include <stdexcept>

#include "quant/fake_quant.h"
#include "quant/observers.h"

using namespace slimlab;

namespace {

double max_diff(const torch::Tensor& a, const torch::Tensor& b) {
  return (a - b).abs().max().item<double>();
}

}  // namespace

TEST(FakeQuantTest, EqualsLibTorchPerTensorAndPerChannelForEveryBitWidth) {
  torch::manual_seed(3);
  // Values spread over a few scales, with exact ties of round() among them.
  auto x = torch::cat({torch::randn({6, 37}) * 3, torch::full({6, 3}, 0.5)}, 1);
  for (int64_t bits = 2; bits <= 8; ++bits) {
    for (auto scheme : {QuantScheme::Affine, QuantScheme::Symmetric}) {
      SCOPED_TRACE("bits " + std::to_string(bits) +
                   (scheme == QuantScheme::Affine ? " affine" : " symmetric"));
      auto lo = std::get<0>(x.min(1)), hi = std::get<0>(x.max(1));
      auto channel = choose_qparams(lo, hi, bits, scheme, /*per_channel=*/true);
      auto oracle = torch::fake_quantize_per_channel_affine(x, channel.scale, channel.zero_point, 0,
                                                            channel.qmin, channel.qmax);
      EXPECT_LE(max_diff(fake_quantize(x, channel), oracle), 1e-6);
      auto tensor = choose_qparams(x.min().reshape({1}), x.max().reshape({1}), bits, scheme, false);
      auto oracle_tensor = torch::fake_quantize_per_tensor_affine(x, tensor.scale.item<float>(),
                                                                  tensor.zero_point.item<int32_t>(),
                                                                  tensor.qmin, tensor.qmax);
      EXPECT_LE(max_diff(fake_quantize(x, tensor), oracle_tensor), 1e-6);
      // Every output is on the grid: at most 2^b distinct values per channel.
      EXPECT_LE(std::get<0>(torch::_unique(fake_quantize(x, channel)[0])).numel(), int64_t(1)
                                                                                       << bits);
    }
  }
}

TEST(FakeQuantTest, ScalesAndZeroPointsAreTheFormulasOnes) {
  // Affine, 2 bits, [-1, 3]: s = 4 / 3, z = round(1 / (4/3)) = round(0.75) = 1.
  auto p =
      choose_qparams(torch::tensor({-1.0f}), torch::tensor({3.0f}), 2, QuantScheme::Affine, false);
  EXPECT_FLOAT_EQ(p.scale.item<float>(), 4.0f / 3.0f);
  EXPECT_EQ(p.zero_point.item<int32_t>(), 1);
  EXPECT_EQ(p.qmin, 0);
  EXPECT_EQ(p.qmax, 3);
  // Symmetric, narrow range, 8 bits, max |x| = 1.27: s = 1.27 / 127 = 0.01, q in [-127, 127].
  p = choose_qparams(torch::tensor({-1.27f}), torch::tensor({0.5f}), 8, QuantScheme::Symmetric,
                     false);
  EXPECT_NEAR(p.scale.item<float>(), 0.01, 1e-8);
  EXPECT_EQ(p.zero_point.item<int32_t>(), 0);
  EXPECT_EQ(p.qmin, -127);
  EXPECT_EQ(p.qmax, 127);
  // A range that excludes 0 is widened to hold it; a range of width 0 gets scale 1.
  p = choose_qparams(torch::tensor({2.0f}), torch::tensor({5.0f}), 8, QuantScheme::Affine, false);
  EXPECT_EQ(p.zero_point.item<int32_t>(), 0);
  EXPECT_FLOAT_EQ(p.scale.item<float>(), 5.0f / 255.0f);
  p = choose_qparams(torch::zeros({1}), torch::zeros({1}), 4, QuantScheme::Symmetric, false);
  EXPECT_FLOAT_EQ(p.scale.item<float>(), 1.0f);
  EXPECT_THROW(quant_range(1, QuantScheme::Affine), std::invalid_argument);
  EXPECT_THROW(quant_range(9, QuantScheme::Symmetric), std::invalid_argument);
}

TEST(FakeQuantTest, StraightThroughGradientIsOneInsideTheClippingRangeAndZeroOutside) {
  auto p = choose_qparams(torch::tensor({-1.0f}), torch::tensor({1.0f}), 4, QuantScheme::Symmetric,
                          false);
  auto x = torch::tensor({-2.0f, -0.3f, 0.0f, 0.42f, 0.99f, 1.5f}).requires_grad_();
  auto y = fake_quantize_ste(x, p);
  {
    torch::NoGradGuard no_grad;
    EXPECT_LE(max_diff(y, fake_quantize(x, p)), 0.0);
  }
  y.sum().backward();
  auto expected = torch::tensor({0.0f, 1.0f, 1.0f, 1.0f, 1.0f, 0.0f});
  EXPECT_LE(max_diff(x.grad(), expected), 0.0);
}

TEST(FakeQuantTest, UniformDataGainsAboutSixDecibelsPerBit) {
  torch::manual_seed(4);
  auto x = torch::rand({200000}) * 2 - 1;
  double previous = 0;
  for (int64_t bits = 2; bits <= 8; ++bits) {
    auto p = choose_qparams(x.min().reshape({1}), x.max().reshape({1}), bits,
                            QuantScheme::Symmetric, false);
    const double db = sqnr_db(x, fake_quantize(x, p));
    // U(-1, 1) has power 1/3; the narrow symmetric grid has step s = 2 / (2^b - 2) and uniform
    // rounding noise of power s^2 / 12, so SQNR = (2^b - 2)^2: 20 log10(2^b - 2) dB, which
    // grows by 20 log10(2) = 6.02 dB per bit as b grows.
    EXPECT_NEAR(db, 20 * std::log10(std::pow(2.0, double(bits)) - 2), 0.1) << bits;
    if (bits >= 7) EXPECT_NEAR(db - previous, 6.02, 0.2) << bits;
    previous = db;
  }
  EXPECT_TRUE(std::isinf(sqnr_db(x, x)));
}

TEST(RangeObserverTest, PercentileAndMseClipAnOutlierThatMinMaxKeeps) {
  torch::manual_seed(5);
  auto w = torch::randn({4, 1000}) * 0.1;
  // One outlier in channel 2, six standard deviations out: clipping it costs less squared error
  // than the coarse grid its full range gives the other 999 (a far larger outlier MSE keeps).
  w[2][17] = 0.6;
  ObserverOptions minmax, percentile, mse;
  percentile.kind = RangeObserver::Percentile;
  percentile.percentile = 99.9;
  mse.kind = RangeObserver::Mse;
  auto [lo, hi] = observe_range(w, minmax, true, 4, QuantScheme::Symmetric);
  EXPECT_FLOAT_EQ(hi[2].item<float>(), 0.6f);
  EXPECT_LE(max_diff(hi, std::get<0>(w.max(1))), 0.0);
  auto [plo, phi] = observe_range(w, percentile, true, 4, QuantScheme::Symmetric);
  EXPECT_LT(phi[2].item<float>(), 0.5f);
  // The MSE range is never worse than min-max (alpha = 1 is among its candidates).
  auto [mlo, mhi] = observe_range(w, mse, true, 4, QuantScheme::Symmetric);
  auto error = [&](const torch::Tensor& a, const torch::Tensor& b) {
    auto q = fake_quantize(w, choose_qparams(a, b, 4, QuantScheme::Symmetric, true));
    return (w - q).pow(2).sum().item<double>();
  };
  EXPECT_LE(error(mlo, mhi), error(lo, hi));
  EXPECT_LT(mhi[2].item<float>(), 0.6f);
  // Per tensor: one range.
  auto [tlo, thi] = observe_range(w, minmax, false, 8, QuantScheme::Affine);
  EXPECT_EQ(thi.numel(), 1);
  percentile.percentile = 40;
  EXPECT_THROW(observe_range(w, percentile, true, 4, QuantScheme::Symmetric),
               std::invalid_argument);
  EXPECT_THROW(observe_range(torch::zeros({0}), minmax, false, 8, QuantScheme::Affine),
               std::invalid_argument);
}
