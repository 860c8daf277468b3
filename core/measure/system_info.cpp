#include "measure/system_info.h"

#include <torch/torch.h>
#include <torch/version.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>
#include <vector>

#include "store/run_store.h"

namespace slimlab {

const char* slimlab_version() { return "0.1.0"; }

BlasInfo active_blas() {
  BlasInfo info;
  std::ifstream maps("/proc/self/maps");
  std::string line;
  while (std::getline(maps, line)) {
    auto slash = line.find('/');
    if (slash == std::string::npos) continue;
    std::string file = line.substr(slash);
    auto base = file.substr(file.rfind('/') + 1);
    if (base.rfind("libblas.so", 0) == 0 || base.rfind("libopenblas", 0) == 0 ||
        base.rfind("libblis", 0) == 0 || base.rfind("libmkl_rt", 0) == 0) {
      info.path = file;
      break;
    }
  }
  const auto& p = info.path;
  auto has = [&p](const char* s) { return p.find(s) != std::string::npos; };
  if (p.empty()) {
    info.name = "none found in the process (LibTorch may use its own kernels)";
  } else if (has("openblas")) {
    info.name = has("pthread") ? "OpenBLAS (pthread)"
                : has("openmp") ? "OpenBLAS (OpenMP)"
                : has("serial") ? "OpenBLAS (serial)"
                                : "OpenBLAS";
    info.fast = true;
  } else if (has("blis")) {
    info.name = "BLIS";
    info.fast = true;
  } else if (has("mkl")) {
    info.name = "Intel MKL";
    info.fast = true;
  } else if (has("atlas")) {
    info.name = "ATLAS";
    info.fast = true;
  } else {
    info.name = "reference BLAS (netlib, unoptimised)";
  }
  return info;
}

std::string torch_version() { return TORCH_VERSION; }
int torch_threads() { return at::get_num_threads(); }
int torch_interop_threads() { return at::get_num_interop_threads(); }

double measure_sgemm_gflops(int n, int repeats) {
  torch::NoGradGuard no_grad;
  auto a = torch::randn({n, n});
  auto b = torch::randn({n, n});
  auto c = torch::mm(a, b);  // Warm-up: thread pools, page faults.
  std::vector<double> seconds;
  for (int i = 0; i < repeats; ++i) {
    auto start = std::chrono::steady_clock::now();
    torch::mm_out(c, a, b);
    seconds.push_back(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  std::sort(seconds.begin(), seconds.end());
  double median = seconds[seconds.size() / 2];
  return 2.0 * double(n) * n * n / median / 1e9;
}

std::string environment_json() {
  auto blas = active_blas();
  nlohmann::json env = {{"slimlab", slimlab_version()},
                        {"torch", torch_version()},
                        {"threads", torch_threads()},
                        {"interop_threads", torch_interop_threads()},
                        {"blas", blas.name},
                        {"blas_path", blas.path},
                        {"host", host_name()},
                        {"pid", int64_t(::getpid())}};
  return env.dump();
}

}  // namespace slimlab
