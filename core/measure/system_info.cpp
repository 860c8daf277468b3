#include "measure/system_info.h"

#include <dlfcn.h>
#include <torch/torch.h>
#include <torch/version.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <vector>

#include "util/paths.h"

namespace slimlab {

const char* slimlab_version() { return "0.1.0"; }

BlasInfo active_blas() {
  BlasInfo info;
  // The library that resolves sgemm_ for the whole process is the one LibTorch's matrix
  // multiplies use; several BLAS libraries may be mapped (LAPACK pulls in OpenBLAS, say).
  Dl_info where{};
  void* sgemm = dlsym(RTLD_DEFAULT, "sgemm_");
  if (sgemm != nullptr && dladdr(sgemm, &where) != 0 && where.dli_fname != nullptr) {
    std::error_code ec;
    auto resolved = std::filesystem::canonical(where.dli_fname, ec);
    info.path = ec ? std::string(where.dli_fname) : resolved.string();
  }
  const auto& p = info.path;
  auto has = [&p](const char* s) { return p.find(s) != std::string::npos; };
  if (p.empty()) {
    info.name = "none found in the process (LibTorch may use its own kernels)";
  } else if (has("openblas")) {
    info.name = has("pthread")  ? "OpenBLAS (pthread)"
                : has("openmp") ? "OpenBLAS (OpenMP)"
                : has("serial") ? "OpenBLAS (serial)"
                                : "OpenBLAS";
    info.fast = true;
    // Ask the loaded OpenBLAS itself; these symbols exist in every Debian OpenBLAS flavour.
    using IntFn = int (*)();
    using TextFn = char* (*)();
    if (auto f = reinterpret_cast<IntFn>(dlsym(RTLD_DEFAULT, "openblas_get_num_threads"))) {
      info.threads = f();
    }
    auto config = reinterpret_cast<TextFn>(dlsym(RTLD_DEFAULT, "openblas_get_config"));
    auto core = reinterpret_cast<TextFn>(dlsym(RTLD_DEFAULT, "openblas_get_corename"));
    if (config != nullptr) info.config = config();
    if (core != nullptr) info.core = core();
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

bool cpu_has_flag(const std::string& flag) {
  std::ifstream cpuinfo("/proc/cpuinfo");
  std::string line;
  while (std::getline(cpuinfo, line)) {
    if (line.rfind("flags", 0) != 0) continue;
    return (line + " ").find(" " + flag + " ") != std::string::npos;
  }
  return false;
}

std::string torch_version() { return TORCH_VERSION; }
std::string torch_parallel_backend() {
  auto text = at::get_parallel_info();
  const std::string key = "ATen parallel backend: ";
  auto at = text.find(key);
  if (at == std::string::npos) return "unknown";
  auto end = text.find('\n', at);
  return text.substr(at + key.size(),
                     end == std::string::npos ? std::string::npos : end - at - key.size());
}

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
                        {"blas_threads", blas.threads},
                        {"blas_core", blas.core},
                        {"host", host_name()},
                        {"pid", int64_t(::getpid())}};
  return env.dump();
}

}  // namespace slimlab
