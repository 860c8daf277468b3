#include "train/runtime.h"

#include <ATen/Parallel.h>
#include <sched.h>

#include <algorithm>
#include <cstdlib>

#include "measure/system_info.h"
#include "models/gemm.h"

namespace slimlab {

std::string RuntimeChoice::describe() const {
  auto plural = [](int n, const char* what) {
    return std::to_string(n) + " " + what + (n == 1 ? " thread" : " threads");
  };
  return plural(threads, "LibTorch") + ", " + plural(blas_threads, "BLAS") + ", " +
         (gemm == GemmKind::OneDnn ? "oneDNN gemm" : "BLAS gemm");
}

int usable_cores() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) == 0) return std::max(1, CPU_COUNT(&set));
  return 1;
}

int automatic_threads() {
  if (const char* env = std::getenv("SLIMLAB_THREADS"); env != nullptr) {
    char* end = nullptr;
    long n = std::strtol(env, &end, 10);
    if (end != env && *end == '\0' && n > 0 && n <= 1024) return int(n);
  }
  return usable_cores();
}

RuntimeChoice resolve_runtime(const RuntimeSpec& spec, int automatic) {
  RuntimeChoice c;
  c.threads = spec.threads > 0 ? int(spec.threads) : std::max(1, automatic);
  c.blas_threads = spec.blas_threads > 0 ? int(spec.blas_threads)
                   : c.threads > 1       ? 1
                                         : std::max(1, automatic);
  c.gemm = spec.gemm;
  return c;
}

RuntimeChoice apply_runtime(const RuntimeSpec& spec) {
  RuntimeChoice c = resolve_runtime(spec, automatic_threads());
  // BLAS first: an OpenMP build of OpenBLAS sets the calling thread's OpenMP count as well,
  // which LibTorch's count must then override.
  if (!set_blas_threads(c.blas_threads)) c.blas_threads = 0;
  at::set_num_threads(c.threads);
  set_gemm_backend(c.gemm);
  return c;
}

void limit_interop_threads() {
  try {
    if (at::get_num_interop_threads() != 1) at::set_num_interop_threads(1);
  } catch (const std::exception&) {
    // The pool already started; it stays as it is.
  }
}

}  // namespace slimlab
