#include "models/model_factory.h"

#include <ATen/CPUGeneratorImpl.h>

#include <cmath>

#include "models/cnn.h"
#include "models/generator_guard.h"
#include "models/mlp.h"
#include "models/moe_mlp.h"
#include "models/vit.h"
#include "util/input_error.h"

namespace slimlab {

torch::nn::AnyModule make_model(const ModelSpec& spec, const std::vector<int64_t>& sample_shape,
                                int64_t classes) {
  int64_t in_features = 1;  // Flattened input width, for the MLP kinds.
  for (auto d : sample_shape) in_features *= d;
  if (spec.kind == ModelKind::Mlp) {
    auto options = spec.mlp;
    options.in_features(in_features).classes(classes);
    return torch::nn::AnyModule(Mlp(options));
  }
  if (spec.kind == ModelKind::MoeMlp) {
    auto options = spec.moe_mlp;
    options.in_features(in_features).classes(classes);
    return torch::nn::AnyModule(MoeMlp(options));
  }
  if (sample_shape.size() != 3 || sample_shape[1] != sample_shape[2]) {
    throw InputError(std::string("model.kind: ") + model_name(spec.kind) +
                     " needs square images [channels, size, size]");
  }
  if (spec.kind == ModelKind::Vit) {
    auto options = spec.vit;
    options.in_channels(sample_shape[0]).image_size(sample_shape[1]).classes(classes);
    if (options.image_size() % options.patch_size() != 0) {
      throw InputError("model.patch_size: must divide the image size " +
                       std::to_string(options.image_size()) + ", got " +
                       std::to_string(options.patch_size()));
    }
    return torch::nn::AnyModule(Vit(options));
  }
  auto options = spec.cnn;
  options.in_channels(sample_shape[0]).image_size(sample_shape[1]).classes(classes);
  if (options.image_size() >> options.channels().size() < 1) {
    throw InputError("model.channels: " + std::to_string(options.channels().size()) +
                     " pooling blocks shrink a " + std::to_string(options.image_size()) +
                     "-pixel image below 1 pixel; use at most " +
                     std::to_string(int(std::log2(double(options.image_size())))) + " blocks");
  }
  return torch::nn::AnyModule(Cnn(options));
}

int64_t count_parameters(const torch::nn::Module& module) {
  int64_t n = 0;
  for (const auto& p : module.parameters()) n += p.numel();
  return n;
}

std::mutex& generator_mutex() {
  static std::mutex mutex;
  return mutex;
}

torch::nn::AnyModule make_model_to_load(const ModelSpec& spec,
                                        const std::vector<int64_t>& sample_shape, int64_t classes) {
  // Put back even when the spec is refused (make_model throws): later draws stay the run's.
  GeneratorStateGuard keep;
  return make_model(spec, sample_shape, classes);
}

}  // namespace slimlab
