#pragma once

#include <string>
#include <vector>

namespace slimlab {

/// Which matrix multiply the dense layers call (see nn/gemm.h). Auto (a spec's value only,
/// never a backend) = the faster of the two for this model on this machine, measured.
enum class GemmKind { OneDnn, Blas, Auto };

/// The spec's names of the kinds, by enum index: "onednn", "blas", "auto".
const std::vector<std::string>& gemm_names();
/// gemm_names()[kind], e.g. "onednn".
const char* gemm_name(GemmKind kind);

}  // namespace slimlab
