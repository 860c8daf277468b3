#pragma once

#include <string>

#include "spec/experiment_spec.h"

namespace slimlab {

/// The thread counts and matrix multiply a run actually uses, after `0 = automatic` is resolved.
struct RuntimeChoice {
  int threads = 1;       ///< LibTorch intra-op (OpenMP) threads.
  int blas_threads = 1;  ///< OpenBLAS threads (0 when the BLAS is not OpenBLAS).
  GemmKind gemm = GemmKind::OneDnn;
  std::string describe() const;  ///< e.g. "2 LibTorch threads, 1 BLAS thread, oneDNN gemm"
};

/// CPUs this process may run on (its affinity mask), at least 1.
int usable_cores();

/// LibTorch threads when a spec says 0: $SLIMLAB_THREADS when it is a positive number, else
/// usable_cores(). Several runs at once on one machine should share the cores this way: two
/// processes with two spinning OpenMP threads each on two cores ran 5-13x slower than alone.
int automatic_threads();

/// What `spec` asks for with `automatic` LibTorch threads for 0: blas_threads 0 -> 1 when
/// LibTorch uses several threads, else `automatic` (the run's share of the cores).
RuntimeChoice resolve_runtime(const RuntimeSpec& spec, int automatic);

/// Resolves `spec` for this machine and sets it for the whole process (LibTorch threads, OpenBLAS
/// threads, the dense layers' gemm). The Trainer calls it, so every run, resume, benchmark and
/// test trains the way its spec says.
RuntimeChoice apply_runtime(const RuntimeSpec& spec);

/// Sets LibTorch's inter-op pool to one thread, once, at program start: SlimLab runs one model
/// at a time and has no graph-level parallel work, so a second pool would only compete for the
/// cores. Later calls (or calls after the pool started) do nothing.
void limit_interop_threads();

}  // namespace slimlab
