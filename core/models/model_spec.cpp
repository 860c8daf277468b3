#include "models/model_spec.h"

namespace slimlab {

const std::vector<std::string>& model_names() {
  static const std::vector<std::string> names = {"mlp", "cnn", "moe-mlp", "vit"};
  return names;
}

const char* model_name(ModelKind kind) { return model_names()[size_t(kind)].c_str(); }

}  // namespace slimlab
