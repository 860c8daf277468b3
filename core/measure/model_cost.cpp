#include "measure/model_cost.h"

namespace slimlab {
namespace {

void add_linear(ModelCost& c, int64_t in, int64_t out) {
  c.params += in * out + out;
  c.active_params += in * out + out;
  c.macs += in * out;
  c.macs_all_experts += in * out;
}

void add_moe(ModelCost& c, const MoeOptions& o, int64_t dim) {
  const int64_t e = o.experts(), h = o.hidden();
  const int64_t k = o.gate() == GateKind::Switch || (o.gate() == GateKind::GumbelSoftmax &&
                                                     o.gumbel_mode() == GumbelMode::Hard)
                        ? 1
                        : o.top_k();
  const int64_t router = dim * e * (o.gate() == GateKind::NoisyTopK ? 2 : 1);
  const int64_t expert = dim * h + h + h * dim + dim;
  c.params += router + e * expert;
  c.active_params += router + k * expert;
  c.macs += dim * e + k * 2 * dim * h;
  c.macs_all_experts += dim * e + e * 2 * dim * h;
}

int64_t product(const std::vector<int64_t>& v) {
  int64_t p = 1;
  for (auto d : v) p *= d;
  return p;
}

}  // namespace

ModelCost model_cost(const ModelSpec& spec, const std::vector<int64_t>& sample_shape,
                     int64_t classes) {
  ModelCost c;
  if (spec.kind == ModelKind::Mlp) {
    int64_t width = product(sample_shape);
    for (int64_t h : spec.mlp.hidden()) {
      add_linear(c, width, h);
      width = h;
    }
    add_linear(c, width, classes);
  } else if (spec.kind == ModelKind::MoeMlp) {
    const auto& o = spec.moe_mlp;
    add_linear(c, product(sample_shape), o.width());
    for (int64_t b = 0; b < o.blocks(); ++b) add_moe(c, o.moe(), o.width());
    add_linear(c, o.width(), classes);
  } else if (spec.kind == ModelKind::Vit) {
    const auto& o = spec.vit;
    const int64_t channels = sample_shape.at(0), size = sample_shape.at(1), d = o.dim();
    const int64_t n = (size / o.patch_size()) * (size / o.patch_size());
    const int64_t tokens = n + 1;
    int64_t embed = channels * o.patch_size() * o.patch_size() * d;
    int64_t params = embed + d + d + tokens * d;  // conv weight, bias, cls token, positions
    int64_t macs = embed * n;
    const int64_t hidden = d * o.mlp_ratio();
    int64_t block_params =
        2 * 2 * d + (d * 3 * d + 3 * d) + (d * d + d) + (d * hidden + hidden) + (hidden * d + d);
    int64_t block_macs = tokens * (3 * d * d + d * d + 2 * d * hidden) + 2 * tokens * tokens * d;
    params += o.depth() * block_params + 2 * d;  // blocks, final LayerNorm
    macs += o.depth() * block_macs;
    c.params += params;
    c.active_params += params;
    c.macs += macs;
    c.macs_all_experts += macs;
    add_linear(c, d, classes);
  } else {
    const auto& o = spec.cnn;
    int64_t channels = sample_shape.at(0), size = sample_shape.at(1);
    const int64_t k2 = o.kernel_size() * o.kernel_size();
    for (int64_t out : o.channels()) {
      int64_t weights = channels * out * k2 + out;
      int64_t macs = channels * out * k2 * size * size;  // Same padding: every pixel.
      c.params += weights;
      c.active_params += weights;
      c.macs += macs;
      c.macs_all_experts += macs;
      channels = out;
      size /= 2;
    }
    add_linear(c, channels * size * size, o.fc_hidden());
    for (int64_t b = 0; b < o.moe_blocks(); ++b) add_moe(c, o.moe(), o.fc_hidden());
    add_linear(c, o.fc_hidden(), classes);
  }
  return c;
}

}  // namespace slimlab
