#include "quant/fake_quant.h"

#include <torch/torch.h>

#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

namespace slimlab {
namespace {

/// Per-channel tensors of `p` shaped to broadcast against x [C, ...].
torch::Tensor along_channels(const torch::Tensor& t, const torch::Tensor& x) {
  std::vector<int64_t> shape(size_t(x.dim()), 1);
  shape[0] = t.numel();
  return t.reshape(shape);
}

}  // namespace

std::pair<int64_t, int64_t> quant_range(int64_t bits, QuantScheme scheme) {
  if (bits < 2 || bits > 8) {
    throw std::invalid_argument("bits must be between 2 and 8, got " + std::to_string(bits));
  }
  if (scheme == QuantScheme::Affine) return {0, (int64_t(1) << bits) - 1};
  const int64_t half = (int64_t(1) << (bits - 1)) - 1;
  return {-half, half};
}

QuantParams choose_qparams(const torch::Tensor& lo_in, const torch::Tensor& hi_in, int64_t bits,
                           QuantScheme scheme, bool per_channel) {
  QuantParams p;
  p.bits = bits;
  p.scheme = scheme;
  std::tie(p.qmin, p.qmax) = quant_range(bits, scheme);
  p.axis = per_channel ? 0 : -1;
  // In float64, then stored as float32 as LibTorch's kernels take them.
  auto lo = torch::clamp_max(lo_in.to(torch::kFloat64).flatten(), 0.0);
  auto hi = torch::clamp_min(hi_in.to(torch::kFloat64).flatten(), 0.0);
  torch::Tensor scale, zero;
  if (scheme == QuantScheme::Affine) {
    scale = (hi - lo) / double(p.qmax - p.qmin);
    scale = torch::where(scale > 0, scale, torch::ones_like(scale));
    zero = torch::clamp(double(p.qmin) - torch::round(lo / scale), double(p.qmin), double(p.qmax));
  } else {
    scale = torch::maximum(lo.abs(), hi) / double(p.qmax);
    scale = torch::where(scale > 0, scale, torch::ones_like(scale));
    zero = torch::zeros_like(scale);
  }
  p.scale = scale.to(torch::kFloat32);
  p.zero_point = zero.to(torch::kInt32);
  return p;
}

torch::Tensor fake_quantize(const torch::Tensor& x_in, const QuantParams& p) {
  auto x = x_in.to(torch::kFloat32);
  // Matches LibTorch's kernels to the bit: the inverse scale in float32, and round-then-add the
  // zero point per channel, add-then-round per tensor.
  if (p.axis >= 0) {
    auto inv = along_channels(1.0f / p.scale, x);
    auto z = along_channels(p.zero_point, x).to(torch::kFloat32);
    auto s = along_channels(p.scale, x);
    auto q = torch::clamp(z + torch::round(x * inv), double(p.qmin), double(p.qmax));
    return (q - z) * s;
  }
  const float scale = p.scale.item<float>();
  const float inv = 1.0f / scale;
  const int64_t z = p.zero_point.item<int32_t>();
  auto q = torch::clamp(torch::round(x * inv + double(z)), double(p.qmin), double(p.qmax));
  return (q - double(z)) * scale;
}

torch::Tensor fake_quantize_ste(const torch::Tensor& x, const QuantParams& p) {
  torch::Tensor quantised, inside;
  {
    torch::NoGradGuard no_grad;
    quantised = fake_quantize(x, p);
    // As LibTorch's fake-quant backward: the gradient passes where the rounded integer lies in
    // [qmin, qmax] before clamping (so the range's own end points, which min-max ranges put on
    // the largest weights, keep their gradient).
    torch::Tensor q;
    if (p.axis >= 0) {
      auto z = along_channels(p.zero_point, x).to(torch::kFloat32);
      q = z + torch::round(x.to(torch::kFloat32) * along_channels(1.0f / p.scale, x));
    } else {
      const float inv = 1.0f / p.scale.item<float>();
      q = torch::round(x.to(torch::kFloat32) * inv + double(p.zero_point.item<int32_t>()));
    }
    inside = (q >= double(p.qmin)).logical_and(q <= double(p.qmax)).to(x.scalar_type());
  }
  return quantised + (x - x.detach()) * inside;
}

double sqnr_db(const torch::Tensor& x, const torch::Tensor& x_hat) {
  const double signal = x.to(torch::kFloat64).pow(2).sum().item<double>();
  const double noise =
      (x.to(torch::kFloat64) - x_hat.to(torch::kFloat64)).pow(2).sum().item<double>();
  if (noise == 0) return std::numeric_limits<double>::infinity();
  return 10.0 * std::log10(signal / noise);
}

}  // namespace slimlab
