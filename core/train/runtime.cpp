#include "train/runtime.h"

#include <ATen/Parallel.h>
#include <sched.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>

#include "measure/system_info.h"
#include "nn/gemm.h"
#include "train/runtime_cache.h"
#include "train/training_slots.h"

namespace slimlab {

std::string RuntimeChoice::describe() const {
  auto plural = [](int n, const char* what) {
    return std::to_string(n) + " " + what + (n == 1 ? " thread" : " threads");
  };
  return plural(threads, "LibTorch") + ", " + plural(blas_threads, "BLAS") + ", " +
         (gemm == GemmKind::OneDnn ? "oneDNN gemm" : "BLAS gemm");
}

nlohmann::json runtime_to_json(const RuntimeChoice& c) {
  nlohmann::json j = {{"threads", c.threads},
                      {"blas_threads", c.blas_threads},
                      {"gemm", gemm_name(c.gemm)},
                      {"chosen_by", runtime_source_name(c.source)}};
  if (!c.measured.empty()) {
    j["measure_seconds"] = c.measure_seconds;
    j["measured"] = measured_to_json(c.measured);
    if (c.others_busy_cores >= 0) j["others_busy_cores"] = c.others_busy_cores;
  }
  return j;
}

std::string runtime_summary(const RuntimeChoice& c) {
  std::string text = c.describe();
  if (c.measured.empty()) return text + " (" + runtime_source_name(c.source) + ")";
  char head[96];
  std::snprintf(head, sizeof head, " (%s, %.2f s of measuring: ", runtime_source_name(c.source),
                c.measure_seconds);
  text += head;
  for (size_t i = 0; i < c.measured.size(); ++i) {
    const auto& m = c.measured[i];
    char item[96];
    std::snprintf(item, sizeof item, "%s%d+%d %s %.0f", i > 0 ? ", " : "", m.threads,
                  m.blas_threads, m.gemm == GemmKind::OneDnn ? "oneDNN" : "BLAS",
                  m.steps_per_second);
    text += item;
  }
  text += " steps/s";
  if (busy_within_share(c.others_busy_cores, c.share) >= kBusyCores) {
    char busy[96];
    std::snprintf(busy, sizeof busy, "; other programs kept %.1f cores busy meanwhile",
                  c.others_busy_cores);
    text += busy;
  }
  return text + ")";
}

double busy_within_share(double others, int share) {
  if (others < 0) return -1;
  const int outside = share > 0 ? std::max(0, usable_cores() - share) : 0;
  return std::max(0.0, others - outside);
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
  return std::max(1, usable_cores() / (1 + other_training_slots()));
}

const char* runtime_source_name(RuntimeSource source) {
  switch (source) {
    case RuntimeSource::Measured:
      return "measured";
    case RuntimeSource::Cached:
      return "cached";
    case RuntimeSource::Spec:
      break;
  }
  return "spec";
}

RuntimeChoice resolve_runtime(const RuntimeSpec& spec, int automatic) {
  RuntimeChoice c;
  c.threads = spec.threads > 0 ? int(spec.threads) : std::max(1, automatic);
  c.blas_threads = spec.blas_threads > 0 ? int(spec.blas_threads)
                   : c.threads > 1       ? 1
                                         : std::max(1, automatic);
  c.gemm = spec.gemm == GemmKind::Auto ? GemmKind::OneDnn : spec.gemm;
  return c;
}

std::vector<RuntimeChoice> runtime_candidates(const RuntimeSpec& spec, int share) {
  std::vector<int> threads;
  if (spec.threads > 0) {
    threads = {int(spec.threads)};
  } else {
    for (int t = std::max(1, share); t >= 1; --t) threads.push_back(t);  // The rule's first.
  }
  std::vector<GemmKind> gemms = {spec.gemm};
  if (spec.gemm == GemmKind::Auto) gemms = {GemmKind::OneDnn, GemmKind::Blas};
  std::vector<RuntimeChoice> candidates;
  for (GemmKind gemm : gemms) {
    for (int t : threads) {
      RuntimeSpec one = spec;
      one.threads = t;
      one.gemm = gemm;
      candidates.push_back(resolve_runtime(one, share));
    }
  }
  return candidates;
}

void set_runtime(RuntimeChoice& c) {
  // BLAS first: an OpenMP build of OpenBLAS sets the calling thread's OpenMP count as well,
  // which LibTorch's count must then override.
  if (!set_blas_threads(c.blas_threads)) c.blas_threads = 0;
  at::set_num_threads(c.threads);
  set_gemm_backend(c.gemm);
}

RuntimeChoice apply_runtime(const RuntimeSpec& spec) {
  RuntimeChoice c = resolve_runtime(spec, automatic_threads());
  set_runtime(c);
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
