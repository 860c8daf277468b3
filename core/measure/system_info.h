#pragma once

#include <cstdint>
#include <string>

namespace slimlab {

/// The BLAS library this process actually loaded, as Debian's alternatives resolved it.
struct BlasInfo {
  std::string
      path;  ///< The mapped file, e.g. /usr/lib/x86_64-linux-gnu/openblas-pthread/libblas.so.3
  std::string name;   ///< "OpenBLAS (pthread)", "reference BLAS (netlib)", "BLIS", ...
  bool fast = false;  ///< An optimised BLAS (OpenBLAS, BLIS, MKL, ATLAS).
  int threads = 0;    ///< OpenBLAS's own thread count (0 when unknown).
  std::string
      config;  ///< OpenBLAS's build configuration and core, e.g. "OpenBLAS 0.3.21 ... Haswell".
  std::string core;  ///< The kernel family OpenBLAS picked for this CPU, e.g. "Haswell".
};

/// True when the CPU advertises `flag` in /proc/cpuinfo (e.g. "avx2", "avx512f").
bool cpu_has_flag(const std::string& flag);

BlasInfo active_blas();

/// Sets OpenBLAS's thread count (openblas_set_num_threads). False when the loaded BLAS is not
/// OpenBLAS, which has no such switch.
bool set_blas_threads(int threads);

/// LibTorch's version string, e.g. "1.13.1".
std::string torch_version();

/// The CPU's model name from /proc/cpuinfo ("AMD EPYC", "Intel(R) Xeon(R) ..."); "unknown".
std::string cpu_model_name();

/// oneDNN's version, e.g. "2.7.3".
std::string onednn_version();

/// LibTorch's parallel backend, e.g. "native thread pool" or "OpenMP".
std::string torch_parallel_backend();

/// Threads LibTorch uses for intra-op and inter-op work.
int torch_threads();
int torch_interop_threads();

/// Memory the kernel says is available now (MemAvailable in /proc/meminfo), in bytes; 0 if
/// unknown.
int64_t available_memory_bytes();

/// Seconds since this program started: since the process was created, loading of its shared
/// libraries included (LibTorch's ~290), when it was created less than 30 s before its static
/// initialisation; otherwise (a process that a shell replaced with `exec`, whose creation time is
/// the shell's: `bootstrap.sh run` once reported 1374 s, the whole install and build) since that
/// static initialisation, right after the libraries loaded. Steady clock, any thread.
double program_uptime_seconds();

/// Measured single-precision matrix multiply speed: median of `repeats` n x n x n products.
double measure_sgemm_gflops(int n = 1024, int repeats = 5);

/// Measured oneDNN sgemm speed (what the dense layers use with runtime.gemm "onednn"): median
/// of `repeats` n x n x n products after one that JIT-compiles the kernel; 0 when it fails.
double measure_onednn_sgemm_gflops(int n = 1024, int repeats = 5);

/// The environment recorded with every run (JSON object text): versions, BLAS, threads,
/// host and process id (used to notice runs whose process died).
std::string environment_json();

/// SlimLab's version.
const char* slimlab_version();

}  // namespace slimlab
