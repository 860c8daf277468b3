#pragma once

// Uniform quantisation of float tensors to b-bit integers and back ("fake quantisation"), the
// arithmetic every quantised layer of SlimLab uses (REFERENCES.md, "Quantisation and low rank").
// Affine (asymmetric): s = (max - min) / (2^b - 1), z = round(-min / s), q in [0, 2^b - 1].
// Symmetric, narrow range: s = max|x| / (2^(b-1) - 1), z = 0, q in [-(2^(b-1) - 1), 2^(b-1) - 1]
// (one code fewer than the full range, so +max and -max are both exact). x_hat = s (q - z), with
// q = clamp(round(x / s) + z), rounding half to even: LibTorch's fake_quantize_per_tensor_affine
// and fake_quantize_per_channel_affine compute exactly this (they are the tests' oracle).

#include <torch/types.h>

#include <cstdint>

namespace slimlab {

enum class QuantScheme { Affine, Symmetric };
enum class QuantGranularity { PerTensor, PerChannel };

/// Scale and zero point of one tensor (per-tensor: one of each) or of each output channel
/// (per-channel: dimension 0 of the weight, [C] each).
struct QuantParams {
  int64_t bits = 8;
  QuantScheme scheme = QuantScheme::Symmetric;
  int64_t qmin = 0, qmax = 0;  ///< The integer range q lives in.
  torch::Tensor scale;         ///< [1] or [C] float32, > 0.
  torch::Tensor zero_point;    ///< [1] or [C] int32, in [qmin, qmax] (0 for symmetric).
  bool per_channel() const { return scale.numel() > 1 || axis >= 0; }
  int64_t axis = -1;  ///< 0 for per-channel, -1 for per-tensor.
};

/// The integer range of `bits` (2..8) under `scheme`. Throws std::invalid_argument for bits
/// outside 2..8.
std::pair<int64_t, int64_t> quant_range(int64_t bits, QuantScheme scheme);

/// Scale and zero point for the real range [lo, hi] ([1] or [C] float tensors; per-channel when
/// `per_channel`). The range is widened to hold 0, so that 0 is exact (padding, ReLU outputs);
/// a range of width 0 gets scale 1. Throws std::invalid_argument for bits outside 2..8.
QuantParams choose_qparams(const torch::Tensor& lo, const torch::Tensor& hi, int64_t bits,
                           QuantScheme scheme, bool per_channel);

/// x quantised and dequantised with `p`: x [C, ...] for per-channel (channel = dimension 0),
/// any shape for per-tensor; float32 out, same shape. No gradient flows through round(); use
/// fake_quantize_ste for training.
torch::Tensor fake_quantize(const torch::Tensor& x, const QuantParams& p);

/// The same in the forward pass, with the straight-through estimator in the backward pass
/// (Bengio et al. 2013): gradient 1 where round(x / s) + z lies in [qmin, qmax] (inside the
/// clipping range, by half a step at its ends, as LibTorch's fake-quant backward), 0 outside.
torch::Tensor fake_quantize_ste(const torch::Tensor& x, const QuantParams& p);

/// Signal-to-quantisation-noise ratio in dB, 10 log10(||x||^2 / ||x - x_hat||^2); +inf when
/// x_hat == x. About 6 dB per bit for uniformly spread values.
double sqnr_db(const torch::Tensor& x, const torch::Tensor& x_hat);

}  // namespace slimlab
