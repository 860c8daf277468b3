// The dense layers' oneDNN gemm against torch::linear / torch::addmm (a plain reference of the
// optimised path), the runtime section of a spec, and the decoded-dataset cache.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "data/idx_reader.h"
#include "nn/gemm.h"
#include "spec/experiment_spec.h"
#include "test_files.h"
#include "train/runtime.h"
#include "util/input_error.h"

using namespace slimlab;
using namespace slimlab::testing;

namespace {

struct Grads {
  torch::Tensor y, dx, dw, db;
};

/// Output and gradients of sum(y * probe) through `f`, for fresh leaves x, w, b.
template <typename F>
Grads run(F f, const torch::Tensor& x0, const torch::Tensor& w0, const torch::Tensor& b0,
          const torch::Tensor& probe) {
  auto x = x0.clone().requires_grad_();
  auto w = w0.clone().requires_grad_();
  auto b = b0.defined() ? b0.clone().requires_grad_() : torch::Tensor();
  auto y = f(x, w, b);
  (y * probe).sum().backward();
  return {y.detach(), x.grad(), w.grad(), b.defined() ? b.grad() : torch::Tensor()};
}

void expect_close(const torch::Tensor& a, const torch::Tensor& b, const char* what) {
  ASSERT_EQ(a.sizes(), b.sizes()) << what;
  double scale = std::max(1.0, b.abs().max().item<double>());
  EXPECT_LT((a - b).abs().max().item<double>() / scale, 1e-5) << what;
}

class GemmTest : public ::testing::Test {
 protected:
  void SetUp() override { set_gemm_backend(GemmKind::OneDnn); }
  void TearDown() override { set_gemm_backend(GemmKind::OneDnn); }
};

}  // namespace

TEST_F(GemmTest, LinearMatchesTorchLinearWithAndWithoutBias) {
  torch::manual_seed(3);
  auto x = torch::randn({37, 53});
  auto w = torch::randn({29, 53});
  auto b = torch::randn({29});
  auto probe = torch::randn({37, 29});
  for (bool with_bias : {true, false}) {
    SCOPED_TRACE(with_bias ? "bias" : "no bias");
    auto bias = with_bias ? b : torch::Tensor();
    auto fast =
        run([](auto x, auto w, auto b) { return slimlab::linear(x, w, b); }, x, w, bias, probe);
    auto ref =
        run([](auto x, auto w, auto b) { return torch::linear(x, w, b); }, x, w, bias, probe);
    expect_close(fast.y, ref.y, "y");
    expect_close(fast.dx, ref.dx, "dx");
    expect_close(fast.dw, ref.dw, "dw");
    if (with_bias) expect_close(fast.db, ref.db, "db");
  }
}

TEST_F(GemmTest, AddmmMatchesTorchAddmmInTheExpertsLayout) {
  torch::manual_seed(4);
  for (int64_t rows : {1, 2, 5, 41}) {  // One token at a time, as the per-token reference does.
    SCOPED_TRACE(rows);
    auto x = torch::randn({rows, 12});
    auto w = torch::randn({12, 10});  // [K, N], as MoeLayer's w1[e]
    auto b = torch::randn({10});
    auto probe = torch::randn({rows, 10});
    auto fast = run([](auto x, auto w, auto b) { return slimlab::addmm(b, x, w); }, x, w, b, probe);
    auto ref = run([](auto x, auto w, auto b) { return torch::addmm(b, x, w); }, x, w, b, probe);
    expect_close(fast.y, ref.y, "y");
    expect_close(fast.dx, ref.dx, "dx");
    expect_close(fast.dw, ref.dw, "dw");
    expect_close(fast.db, ref.db, "db");
  }
  // One row: the output must not be the bias itself (it once was, and the product went into it).
  auto b = torch::randn({10});
  auto before = b.clone();
  slimlab::addmm(b, torch::randn({1, 12}), torch::randn({12, 10}));
  slimlab::linear(torch::randn({1, 12}), torch::randn({10, 12}), b);
  EXPECT_TRUE(torch::equal(b, before));
}

TEST_F(GemmTest, ThreeDimensionalInputsAndNoGradInputs) {
  torch::manual_seed(5);
  auto x = torch::randn({3, 7, 12});  // [batch, tokens, dim], as the ViT's blocks
  auto w = torch::randn({20, 12}, torch::requires_grad());
  auto y = slimlab::linear(x, w, torch::Tensor());
  EXPECT_EQ(y.sizes(), (std::vector<int64_t>{3, 7, 20}));
  expect_close(y.detach(), torch::linear(x, w.detach()), "y");
  y.sum().backward();  // x needs no gradient: only dW is computed.
  expect_close(w.grad(),
               torch::linear(x, w.detach())
                   .new_ones({3, 7, 20})
                   .reshape({-1, 20})
                   .t()
                   .mm(x.reshape({-1, 12})),
               "dw");
  // Zero rows (an expert that got no tokens) give an empty output, not an error.
  auto empty = slimlab::linear(torch::randn({0, 12}), w.detach(), torch::Tensor());
  EXPECT_EQ(empty.sizes(), (std::vector<int64_t>{0, 20}));
}

TEST_F(GemmTest, BlasBackendIsExactlyTorch) {
  set_gemm_backend(GemmKind::Blas);
  auto x = torch::randn({8, 5});
  auto w = torch::randn({3, 5});
  auto b = torch::randn({3});
  EXPECT_TRUE(torch::equal(slimlab::linear(x, w, b), torch::linear(x, w, b)));
  // Doubles are not for oneDNN's sgemm: they take torch's path whatever the backend.
  set_gemm_backend(GemmKind::OneDnn);
  auto xd = x.to(torch::kFloat64), wd = w.to(torch::kFloat64), bd = b.to(torch::kFloat64);
  EXPECT_TRUE(torch::equal(slimlab::linear(xd, wd, bd), torch::linear(xd, wd, bd)));
}

TEST(RuntimeTest, AutomaticThreadsNeverOversubscribe) {
  RuntimeSpec automatic;
  auto c = resolve_runtime(automatic, 2);
  EXPECT_EQ(c.threads, 2);
  EXPECT_EQ(c.blas_threads, 1);  // Two LibTorch threads: OpenBLAS gets one.
  EXPECT_EQ(c.gemm, GemmKind::OneDnn);
  RuntimeSpec one;
  one.threads = 1;  // One LibTorch thread: BLAS takes the run's share of the cores.
  EXPECT_EQ(resolve_runtime(one, 4).blas_threads, 4);
  EXPECT_EQ(resolve_runtime(automatic, 1).blas_threads, 1);  // SLIMLAB_THREADS=1: one in all.
  EXPECT_EQ(resolve_runtime(automatic, 1).threads, 1);
  RuntimeSpec fixed;
  fixed.threads = 3;
  fixed.blas_threads = 2;
  fixed.gemm = GemmKind::Blas;
  auto f = resolve_runtime(fixed, 8);
  EXPECT_EQ(f.threads, 3);
  EXPECT_EQ(f.blas_threads, 2);
  EXPECT_EQ(f.describe(), "3 LibTorch threads, 2 BLAS threads, BLAS gemm");
  EXPECT_GE(usable_cores(), 1);
}

TEST(RuntimeTest, ApplySetsTheProcess) {
  RuntimeSpec spec;
  spec.threads = 1;
  spec.gemm = GemmKind::Blas;
  auto c = apply_runtime(spec);
  EXPECT_EQ(at::get_num_threads(), 1);
  EXPECT_EQ(gemm_backend(), GemmKind::Blas);
  EXPECT_EQ(c.threads, 1);
  ::setenv("SLIMLAB_THREADS", "2", 1);
  apply_runtime(RuntimeSpec{});
  EXPECT_EQ(at::get_num_threads(), 2);
  ::setenv("SLIMLAB_THREADS", "lots", 1);  // Not a number: one per core.
  EXPECT_EQ(automatic_threads(), usable_cores());
  ::unsetenv("SLIMLAB_THREADS");
  EXPECT_EQ(gemm_backend(), GemmKind::OneDnn);
}

TEST(RuntimeTest, SpecRuntimeSectionRoundTripsAndNamesBadFields) {
  auto j = nlohmann::json::parse(R"({"name": "t", "model": {"kind": "mlp", "hidden": [4]},
    "data": {"dataset": "spirals"}, "schedule": {"epochs": 1},
    "runtime": {"threads": 1, "blas_threads": 2, "gemm": "blas"}})");
  auto spec = spec_from_json(j);
  EXPECT_EQ(spec.runtime.threads, 1);
  EXPECT_EQ(spec.runtime.blas_threads, 2);
  EXPECT_EQ(spec.runtime.gemm, GemmKind::Blas);
  EXPECT_EQ(spec_to_json(spec)["runtime"]["gemm"], "blas");
  EXPECT_EQ(spec_from_json(spec_to_json(spec)).runtime.blas_threads, 2);
  // A spec without the section (every spec stored before it existed) gets the automatic choice.
  j.erase("runtime");
  EXPECT_EQ(spec_from_json(j).runtime.threads, 0);
  j["runtime"] = {{"gemm", "mkl"}};
  try {
    spec_from_json(j);
    FAIL() << "unknown gemm accepted";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("runtime.gemm"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("onednn"), std::string::npos) << e.what();
  }
  j["runtime"] = {{"threads", -1}};
  EXPECT_THROW(spec_from_json(j), InputError);
}

TEST(IdxCacheTest, SecondReadComesFromTheDecodedCopyAndSurvivesDamage) {
  TempDir dir;
  TempDir cache;
  ::setenv("XDG_CACHE_HOME", cache.path().c_str(), 1);
  std::vector<uint8_t> values(600);
  for (size_t i = 0; i < values.size(); ++i) values[i] = uint8_t(i * 7);
  write_gzip(dir.file("images.gz"), idx_bytes({6, 10, 10}, values));
  auto first = read_idx_file_cached(dir.file("images.gz"));
  std::vector<std::filesystem::path> copies;
  for (const auto& e : std::filesystem::recursive_directory_iterator(cache.path())) {
    if (e.is_regular_file()) copies.push_back(e.path());
  }
  ASSERT_EQ(copies.size(), 1u);
  EXPECT_EQ(std::filesystem::file_size(copies[0]), 16u + 600u);  // Header + bytes, inflated.
  auto second = read_idx_file_cached(dir.file("images.gz"));
  EXPECT_EQ(second.values, values);
  EXPECT_EQ(second.dims, first.dims);
  // A damaged copy (here: cut short) is noticed, and the source read and cached again.
  std::filesystem::resize_file(copies[0], 100);
  auto third = read_idx_file_cached(dir.file("images.gz"));
  EXPECT_EQ(third.values, values);
  EXPECT_EQ(std::filesystem::file_size(copies[0]), 16u + 600u);
  // No cache directory to write to: still read, from the source.
  ::setenv("XDG_CACHE_HOME", "/proc/no-such-place", 1);
  EXPECT_EQ(read_idx_file_cached(dir.file("images.gz")).values, values);
  ::unsetenv("XDG_CACHE_HOME");
}
