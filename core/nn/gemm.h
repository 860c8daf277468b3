#pragma once

#include <torch/nn/modules/container/any.h>
#include <torch/nn/modules/linear.h>

#include "nn/gemm_kind.h"

namespace slimlab {

/// Which matrix multiply SlimLab's dense layers call (the spec's runtime.gemm, GemmKind):
///  - Blas: LibTorch's own addmm, i.e. the selected libblas.so.3 (what PyTorch does).
///  - OneDnn: oneDNN's sgemm (libdnnl, already loaded by Debian's LibTorch), which JIT-compiles
///    kernels for the CPU it runs on (AVX-512 where present). On this project's Xeon it runs at
///    ~230 GFLOP/s on two threads where OpenBLAS 0.3.21 falls back to Prescott kernels at ~65.
/// Gradients are the same products either way; only the summation order differs (~1e-6).

/// Process-wide; set once before a run (RuntimeSpec). OneDnn by default. Throws
/// std::invalid_argument for GemmKind::Auto, which a run resolves first (train/runtime.h).
void set_gemm_backend(GemmKind backend);
GemmKind gemm_backend();

/// y = x weight^T + bias, as torch::linear: x [M, K], weight [N, K], bias [N] or undefined.
/// Differentiable in all three; other dtypes, devices or ranks fall back to torch::linear.
torch::Tensor linear(const torch::Tensor& x, const torch::Tensor& weight,
                     const torch::Tensor& bias);
torch::Tensor linear(torch::nn::Linear& layer, const torch::Tensor& x);

/// y = bias + x w, as torch::addmm(bias, x, w): x [M, K], w [K, N] (the MoE experts' layout).
torch::Tensor addmm(const torch::Tensor& bias, const torch::Tensor& x, const torch::Tensor& w);

/// One Sequential item's forward, with Linear items through `linear` above.
torch::Tensor forward_item(torch::nn::AnyModule& item, const torch::Tensor& x);

}  // namespace slimlab
