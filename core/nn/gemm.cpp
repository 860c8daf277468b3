#include "nn/gemm.h"

#include <oneapi/dnnl/dnnl.h>
#include <torch/torch.h>
#include <stdexcept>

#include <atomic>

namespace slimlab {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

std::atomic<GemmKind> g_backend{GemmKind::OneDnn};

/// Row-major C[M,N] = A[M,K] B[K,N] + beta C, with A or B read transposed when asked.
void sgemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, const float* a,
           const float* b, float beta, float* c) {
  if (m == 0 || n == 0) return;
  const int64_t lda = trans_a ? m : k;
  const int64_t ldb = trans_b ? k : n;
  dnnl_status_t status = dnnl_sgemm(trans_a ? 'T' : 'N', trans_b ? 'T' : 'N', m, n, k, 1.0f, a, lda,
                                    b, ldb, beta, c, n);
  TORCH_CHECK(status == dnnl_success, "oneDNN sgemm failed with status ", int(status));
}

/// y = x W^T + b (weight_is_kn = false: W is [N, K], torch::nn::Linear's layout) or
/// y = x W + b (weight_is_kn = true: W is [K, N]). No bias is passed as an empty tensor:
/// autograd functions cannot take undefined ones.
struct GemmFunction : public torch::autograd::Function<GemmFunction> {
  static torch::Tensor forward(AutogradContext* ctx, torch::Tensor x, torch::Tensor w,
                               torch::Tensor bias, bool weight_is_kn) {
    x = x.contiguous();
    w = w.contiguous();
    const int64_t m = x.size(0), k = x.size(1), n = weight_is_kn ? w.size(1) : w.size(0);
    // The raw product reads by these sizes: a mismatch must be an error, as in torch::linear.
    TORCH_CHECK((weight_is_kn ? w.size(0) : w.size(1)) == k, "linear: input has ", k,
                " features but the weight expects ", weight_is_kn ? w.size(0) : w.size(1));
    TORCH_CHECK(bias.numel() == 0 || bias.numel() == n, "linear: bias has ", bias.numel(),
                " entries for ", n, " outputs");
    torch::Tensor y;
    float beta = 0.0f;
    const bool has_bias = bias.numel() > 0;
    if (has_bias) {
      // A fresh copy: with one row, expand(...).contiguous() would be the bias itself, and the
      // product would be accumulated into the parameter.
      y = torch::empty({m, n}, x.options());
      y.copy_(bias.reshape({1, n}).expand({m, n}));
      beta = 1.0f;
    } else {
      y = torch::empty({m, n}, x.options());
    }
    sgemm(false, !weight_is_kn, m, n, k, x.data_ptr<float>(), w.data_ptr<float>(), beta,
          y.data_ptr<float>());
    ctx->save_for_backward({x, w});
    ctx->saved_data["kn"] = weight_is_kn;
    ctx->saved_data["bias"] = has_bias;
    return y;
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    auto saved = ctx->get_saved_variables();
    const auto& x = saved[0];
    const auto& w = saved[1];
    const bool kn = ctx->saved_data["kn"].toBool();
    auto g = grads[0].contiguous();
    const int64_t m = x.size(0), k = x.size(1), n = g.size(1);
    torch::Tensor dx, dw, db;
    if (ctx->needs_input_grad(0)) {
      dx = torch::empty({m, k}, x.options());
      // dx = g W (W [N, K]) or g W^T (W [K, N]).
      sgemm(false, kn, m, k, n, g.data_ptr<float>(), w.data_ptr<float>(), 0.0f,
            dx.data_ptr<float>());
    }
    if (ctx->needs_input_grad(1)) {
      dw = torch::empty(w.sizes(), w.options());
      if (kn) {  // dW [K, N] = x^T g
        sgemm(true, false, k, n, m, x.data_ptr<float>(), g.data_ptr<float>(), 0.0f,
              dw.data_ptr<float>());
      } else {  // dW [N, K] = g^T x
        sgemm(true, false, n, k, m, g.data_ptr<float>(), x.data_ptr<float>(), 0.0f,
              dw.data_ptr<float>());
      }
    }
    if (ctx->saved_data["bias"].toBool() && ctx->needs_input_grad(2)) db = g.sum(0);
    return {dx, dw, db, torch::Tensor()};
  }
};

bool fast_path(const torch::Tensor& x, const torch::Tensor& w, const torch::Tensor& bias) {
  auto ok = [](const torch::Tensor& t) {
    return t.device().is_cpu() && t.scalar_type() == torch::kFloat32 && !t.is_sparse() &&
           !t.is_mkldnn();
  };
  return g_backend.load(std::memory_order_relaxed) == GemmKind::OneDnn && x.dim() == 2 &&
         w.dim() == 2 && ok(x) && ok(w) && (!bias.defined() || (ok(bias) && bias.dim() == 1));
}

}  // namespace

void set_gemm_backend(GemmKind backend) {
  if (backend == GemmKind::Auto) {
    throw std::invalid_argument("set_gemm_backend: \"auto\" is resolved by a run, not a backend");
  }
  g_backend.store(backend);
}
GemmKind gemm_backend() { return g_backend.load(); }

torch::Tensor linear(const torch::Tensor& x, const torch::Tensor& weight,
                     const torch::Tensor& bias) {
  if (x.dim() > 2) {  // [..., K] -> [rows, K] and back, as torch::linear broadcasts.
    auto sizes = x.sizes().vec();
    sizes.back() = weight.size(0);
    return linear(x.reshape({-1, x.size(-1)}), weight, bias).view(sizes);
  }
  if (!fast_path(x, weight, bias)) return torch::linear(x, weight, bias);
  return GemmFunction::apply(x, weight, bias.defined() ? bias : x.new_empty({0}), false);
}

torch::Tensor linear(torch::nn::Linear& layer, const torch::Tensor& x) {
  return linear(x, layer->weight, layer->bias);
}

torch::Tensor addmm(const torch::Tensor& bias, const torch::Tensor& x, const torch::Tensor& w) {
  if (!fast_path(x, w, bias)) return torch::addmm(bias, x, w);
  return GemmFunction::apply(x, w, bias.defined() ? bias : x.new_empty({0}), true);
}

torch::Tensor forward_item(torch::nn::AnyModule& item, const torch::Tensor& x) {
  if (auto* layer = item.ptr()->as<torch::nn::LinearImpl>()) {
    return linear(x, layer->weight, layer->bias);
  }
  return item.forward(x);
}

}  // namespace slimlab
