#include "nn/gemm_kind.h"

namespace slimlab {

const std::vector<std::string>& gemm_names() {
  static const std::vector<std::string> names = {"onednn", "blas", "auto"};
  return names;
}

const char* gemm_name(GemmKind kind) { return gemm_names()[size_t(kind)].c_str(); }

}  // namespace slimlab
