#pragma once

#include <string>

namespace slimlab {

/// The BLAS library this process actually loaded, as Debian's alternatives resolved it.
struct BlasInfo {
  std::string path;    ///< The mapped file, e.g. /usr/lib/x86_64-linux-gnu/openblas-pthread/libblas.so.3
  std::string name;    ///< "OpenBLAS (pthread)", "reference BLAS (netlib)", "BLIS", ...
  bool fast = false;   ///< An optimised BLAS (OpenBLAS, BLIS, MKL, ATLAS).
};

BlasInfo active_blas();

/// LibTorch's version string, e.g. "1.13.1".
std::string torch_version();

/// Threads LibTorch uses for intra-op and inter-op work.
int torch_threads();
int torch_interop_threads();

/// Measured single-precision matrix multiply speed: median of `repeats` n x n x n products.
double measure_sgemm_gflops(int n = 1024, int repeats = 5);

/// The environment recorded with every run (JSON object text): versions, BLAS, threads,
/// host and process id (used to notice runs whose process died).
std::string environment_json();

/// SlimLab's version.
const char* slimlab_version();

}  // namespace slimlab
