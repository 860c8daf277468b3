#include "measure/system_info.h"

#include <dlfcn.h>
#include <oneapi/dnnl/dnnl.h>
#include <torch/torch.h>
#include <torch/version.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <sstream>
#include <vector>

#include "nn/gemm.h"
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

std::string cpu_model_name() {
  std::ifstream cpuinfo("/proc/cpuinfo");
  std::string line;
  while (std::getline(cpuinfo, line)) {
    if (line.rfind("model name", 0) != 0) continue;
    auto colon = line.find(':');
    if (colon != std::string::npos && colon + 2 <= line.size()) return line.substr(colon + 2);
  }
  return "unknown";
}

std::string onednn_version() {
  const dnnl_version_t* v = dnnl_version();
  return std::to_string(v->major) + "." + std::to_string(v->minor) + "." + std::to_string(v->patch);
}
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

int64_t available_memory_bytes() {
  std::ifstream meminfo("/proc/meminfo");
  std::string key;
  int64_t kib = 0;
  std::string unit;
  while (meminfo >> key >> kib >> unit) {
    if (key == "MemAvailable:") return kib * 1024;
  }
  return 0;
}

namespace {

// Seconds since this process was forked (field 22 of /proc/self/stat, in clock ticks after
// boot, against /proc/uptime); -1 if unknown. An exec keeps the fork's start time.
double seconds_since_fork() {
  std::ifstream stat("/proc/self/stat");
  std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  auto close = text.rfind(')');  // The command name may contain spaces; fields follow ')'.
  if (close == std::string::npos || close + 2 > text.size()) return -1;
  std::istringstream fields(text.substr(close + 2));
  std::string field;
  for (int i = 3; i <= 22 && fields >> field; ++i) {
  }
  // The kernel's own clock since boot, as the start time is: /proc/uptime may be virtualised.
  timespec now{};
  long ticks = ::sysconf(_SC_CLK_TCK);
  if (field.empty() || ticks <= 0 || ::clock_gettime(CLOCK_BOOTTIME, &now) != 0) return -1;
  char* end = nullptr;
  const double started = std::strtod(field.c_str(), &end);  // No exceptions before main().
  if (end == field.c_str() || started < 0) return -1;
  const double since = double(now.tv_sec) + 1e-9 * double(now.tv_nsec) - started / double(ticks);
  return since >= 0 ? since : -1;
}

// Loading LibTorch's libraries takes about a second at most; a process older than this when its
// static initialisation runs was exec'd by a program that had run before (a shell's `exec`).
constexpr double kLongestLoadSeconds = 30.0;

struct ProgramStart {
  std::chrono::steady_clock::time_point time = std::chrono::steady_clock::now();
  ProgramStart() {
    const double loaded_after = seconds_since_fork();
    if (loaded_after >= 0 && loaded_after < kLongestLoadSeconds) {
      time -= std::chrono::duration_cast<std::chrono::steady_clock::duration>(
          std::chrono::duration<double>(loaded_after));
    }
  }
};
// Made during static initialisation, before main().
const ProgramStart kProgramStart;

}  // namespace

double program_uptime_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - kProgramStart.time)
      .count();
}

bool set_blas_threads(int threads) {
  using SetFn = void (*)(int);
  auto set = reinterpret_cast<SetFn>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"));
  if (set == nullptr) return false;
  set(threads);
  return true;
}

double measure_onednn_sgemm_gflops(int n, int repeats) {
  std::vector<float> a(size_t(n) * n, 0.5f), b(size_t(n) * n, 0.25f), c(size_t(n) * n);
  std::vector<double> gflops;
  for (int r = 0; r < repeats + 1; ++r) {
    auto start = std::chrono::steady_clock::now();
    if (dnnl_sgemm('N', 'N', n, n, n, 1.0f, a.data(), n, b.data(), n, 0.0f, c.data(), n) !=
        dnnl_success) {
      return 0.0;
    }
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (r > 0) gflops.push_back(2.0 * n * n * double(n) / s / 1e9);  // The first one JITs.
  }
  std::sort(gflops.begin(), gflops.end());
  return gflops[gflops.size() / 2];
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
                        {"gemm", gemm_name(gemm_backend())},
                        {"cpu", cpu_model_name()},
                        {"host", host_name()},
                        {"pid", int64_t(::getpid())}};
  return env.dump();
}

}  // namespace slimlab
