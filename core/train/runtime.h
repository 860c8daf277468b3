#pragma once

#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

#include "spec/experiment_spec.h"

namespace slimlab {

/// How a run's threads and gemm were settled.
enum class RuntimeSource {
  Spec,      ///< The spec, $SLIMLAB_THREADS or a resume's record left one candidate.
  Measured,  ///< Measured now on a few training steps of the run's model (runtime_tuner.h).
  Cached,    ///< Measured by an earlier run of the same model and batch on this machine.
};
/// "spec", "measured" or "cached".
const char* runtime_source_name(RuntimeSource source);

/// The thread counts and matrix multiply a run actually uses, after `0 = automatic` is resolved.
struct RuntimeChoice {
  int threads = 1;                   ///< LibTorch intra-op (OpenMP) threads.
  int blas_threads = 1;              ///< OpenBLAS threads (0 when the BLAS is not OpenBLAS).
  GemmKind gemm = GemmKind::OneDnn;  ///< Never Auto.
  RuntimeSource source = RuntimeSource::Spec;
  /// One candidate's measured training speed.
  struct Measured {
    int threads = 1;
    int blas_threads = 1;
    GemmKind gemm = GemmKind::OneDnn;
    double steps_per_second = 0;  ///< Median over alternating rounds (else the warm-up's).
    int rounds = 0;               ///< Rounds it was timed in; 0: left out, 2x slower at warm-up.
  };
  /// Measured or cached: every candidate, and how long measuring them took (seconds).
  std::vector<Measured> measured;
  double measure_seconds = 0;
  /// Measured or cached: the key of the cache entry it was read from or written to
  /// (runtime_cache_key), so a run that trains far faster can drop it (recheck_runtime_choice).
  std::string cache_key;
  /// Measured or cached: cores other programs kept busy while it was measured (others_busy_cores
  /// in measure/cpu_load.h); -1 unknown (a cache file from before this was recorded).
  double others_busy_cores = -1;
  /// Measured or cached: the run's share of the cores its candidates were chosen for
  /// (automatic_threads(), part of the cache key); 0 when the spec settled it.
  int share = 0;
  std::string describe() const;  ///< e.g. "2 LibTorch threads, 1 BLAS thread, oneDNN gemm"
  bool same_settings(const RuntimeChoice& other) const {
    return threads == other.threads && blas_threads == other.blas_threads && gemm == other.gemm;
  }
};

/// Other programs keeping this many cores of the run's share busy (on average) make a measurement
/// "busy": its multi-thread candidates were timed sharing their cores (runtime_tuner.h drops such
/// a cached choice once a run finds its share quiet, below kQuietCores).
constexpr double kBusyCores = 0.5;
constexpr double kQuietCores = 0.25;

/// Of `others` busy cores (cpu_load.h), those inside a run's `share`: the cores outside it are
/// left to others (another trainer beside it, SLIMLAB_THREADS), so their load is expected. -1
/// stays -1 (unknown).
double busy_within_share(double others, int share);

/// What the run store keeps of a choice (in the run's env_json, under "runtime"):
///   {"threads": 1, "blas_threads": 2, "gemm": "blas", "chosen_by": "measured",
///    "measure_seconds": 1.7, "measured": [{"threads": 2, ..., "steps_per_second": 480.2}],
///    "others_busy_cores": 0.02}
nlohmann::json runtime_to_json(const RuntimeChoice& choice);

/// One line for people: "1 LibTorch thread, 2 BLAS threads, BLAS gemm (measured in 1.7 s:
/// 612 steps/s; 2 threads oneDNN 480, ...)".
std::string runtime_summary(const RuntimeChoice& choice);

/// CPUs this process may run on (its affinity mask), at least 1.
int usable_cores();

/// The run's share of the cores, the most LibTorch threads an automatic choice tries:
/// $SLIMLAB_THREADS when it is a positive number, else usable_cores() divided among this
/// trainer and those training beside it on this machine (other_training_slots(), any store),
/// at least 1. Two processes with two spinning OpenMP threads each on two cores ran 5-13x
/// slower than one alone.
int automatic_threads();

/// What `spec` asks for with `automatic` LibTorch threads for 0, without measuring: blas_threads
/// 0 -> 1 when LibTorch uses several threads, else `automatic` (the run's share of the cores);
/// gemm auto -> oneDNN.
RuntimeChoice resolve_runtime(const RuntimeSpec& spec, int automatic);

/// The settings `spec` leaves open for a run whose share of the cores is `share`: LibTorch
/// threads share .. 1 when spec.threads is 0 (else that number), each with the BLAS threads
/// resolve_runtime gives it, for both gemms when spec.gemm is auto. The first is
/// resolve_runtime's choice. At least one.
std::vector<RuntimeChoice> runtime_candidates(const RuntimeSpec& spec, int share);

/// Sets `choice` for the whole process (LibTorch threads, OpenBLAS threads, the dense layers'
/// gemm); its blas_threads becomes 0 when the BLAS is not OpenBLAS.
void set_runtime(RuntimeChoice& choice);

/// Resolves `spec` for this machine and sets it for the whole process (LibTorch threads, OpenBLAS
/// threads, the dense layers' gemm). The Trainer calls it, so every run, resume, benchmark and
/// test trains the way its spec says.
RuntimeChoice apply_runtime(const RuntimeSpec& spec);

/// Sets LibTorch's inter-op pool to one thread, once, at program start: SlimLab runs one model
/// at a time and has no graph-level parallel work, so a second pool would only compete for the
/// cores. Later calls (or calls after the pool started) do nothing.
void limit_interop_threads();

}  // namespace slimlab
