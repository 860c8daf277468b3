// The "model" object of a spec: every architecture's options, read and written.
#include "spec/spec_json.h"

namespace slimlab {
namespace spec_json {

const std::vector<std::string> kActivationNames = {"relu", "gelu", "tanh"};

namespace {

const std::vector<std::string> kGateNames = {"top-k", "noisy-top-k", "switch", "gumbel-softmax"};
const std::vector<std::string> kGumbelModeNames = {"soft", "hard"};

MoeOptions read_moe(SpecReader r) {
  MoeOptions o;
  r.integer("experts", o.experts(), 1, 64);
  r.integer("hidden", o.hidden(), 1, kMaxWidth);
  o.activation(read_enum(r, "activation", o.activation(), kActivationNames));
  o.gate(read_enum(r, "gate", o.gate(), kGateNames));
  r.integer("top_k", o.top_k(), 1, 64);
  if (o.top_k() > o.experts()) {
    throw InputError(r.path() + ".top_k: must be between 1 and experts (" +
                     std::to_string(o.experts()) + "), got " + std::to_string(o.top_k()));
  }
  if (o.gate() == GateKind::Switch) o.top_k(1);  // Switch routing is top-1 by definition.
  r.boolean("renormalize", o.renormalize());
  r.number("capacity_factor", o.capacity_factor(), -1.0, 64.0);
  r.number("eval_capacity_factor", o.eval_capacity_factor(), -1.0, 64.0);
  r.number("temperature", o.temperature(), 0.01, 100.0);
  o.gumbel_mode(read_enum(r, "gumbel_mode", o.gumbel_mode(), kGumbelModeNames));
  r.number("balance_loss", o.balance_loss(), 0.0, 100.0);
  r.number("importance_loss", o.importance_loss(), 0.0, 100.0);
  r.number("z_loss", o.z_loss(), 0.0, 100.0);
  bool unit_weights = o.top_k() == 1 && o.renormalize() && o.gate() != GateKind::Switch;
  if (o.importance_loss() > 0 && unit_weights) {
    throw InputError(r.path() +
                     ".importance_loss: has no effect with top_k 1 and renormalize "
                     "true (every gate weight is 1); use balance_loss, or the switch gate");
  }
  r.finish();
  return o;
}

nlohmann::json moe_to_json(const MoeOptions& o) {
  return {{"experts", o.experts()},
          {"hidden", o.hidden()},
          {"activation", kActivationNames[size_t(o.activation())]},
          {"gate", kGateNames[size_t(o.gate())]},
          {"top_k", o.top_k()},
          {"renormalize", o.renormalize()},
          {"capacity_factor", o.capacity_factor()},
          {"eval_capacity_factor", o.eval_capacity_factor()},
          {"temperature", o.temperature()},
          {"gumbel_mode", kGumbelModeNames[size_t(o.gumbel_mode())]},
          {"balance_loss", o.balance_loss()},
          {"importance_loss", o.importance_loss()},
          {"z_loss", o.z_loss()}};
}

}  // namespace

ModelSpec read_model(SpecReader r) {
  ModelSpec m;
  m.kind = read_enum(r, "kind", m.kind, model_names());
  if (m.kind == ModelKind::Mlp) {
    auto& o = m.mlp;
    r.integer_list("hidden", o.hidden(), 1, kMaxWidth, 0, kMaxLayers);
    o.activation(read_enum(r, "activation", o.activation(), kActivationNames));
    r.number("dropout", o.dropout(), 0.0, 0.95);
  } else if (m.kind == ModelKind::MoeMlp) {
    auto& o = m.moe_mlp;
    r.integer("width", o.width(), 1, kMaxWidth);
    r.integer("blocks", o.blocks(), 1, kMaxLayers);
    o.activation(read_enum(r, "activation", o.activation(), kActivationNames));
    r.number("dropout", o.dropout(), 0.0, 0.95);
    o.moe(read_moe(r.object("moe")));
    r.run_reference("upcycle_from", m.upcycle_from);
    r.number("upcycle_noise", m.upcycle_noise, 0.0, 1.0);
  } else if (m.kind == ModelKind::Vit) {
    auto& o = m.vit;
    r.integer("patch_size", o.patch_size(), 1, 64);
    r.integer("dim", o.dim(), 4, 4096);
    r.integer("depth", o.depth(), 1, 24);
    r.integer("heads", o.heads(), 1, 64);
    if (o.dim() % o.heads() != 0) {
      throw InputError(r.path() + ".heads: must divide dim (" + std::to_string(o.dim()) +
                       "), got " + std::to_string(o.heads()));
    }
    r.integer("mlp_ratio", o.mlp_ratio(), 1, 16);
    r.number("dropout", o.dropout(), 0.0, 0.95);
  } else {
    auto& o = m.cnn;
    r.integer_list("channels", o.channels(), 1, 1024, 1, 4);
    r.integer("kernel_size", o.kernel_size(), 1, 11);
    if (o.kernel_size() % 2 == 0) {
      throw InputError(r.path() + ".kernel_size: must be odd (same padding), got " +
                       std::to_string(o.kernel_size()));
    }
    r.integer("fc_hidden", o.fc_hidden(), 1, kMaxWidth);
    o.activation(read_enum(r, "activation", o.activation(), kActivationNames));
    r.number("dropout", o.dropout(), 0.0, 0.95);
    r.integer("moe_blocks", o.moe_blocks(), 0, 4);
    o.moe(read_moe(r.object("moe")));
  }
  r.finish(std::string("model.kind \"") + model_names()[size_t(m.kind)] + "\"");
  return m;
}

}  // namespace spec_json

nlohmann::json model_to_json(const ModelSpec& m) {
  using namespace spec_json;
  nlohmann::json j;
  if (m.kind == ModelKind::Mlp) {
    j = {{"kind", "mlp"},
         {"hidden", m.mlp.hidden()},
         {"activation", kActivationNames[size_t(m.mlp.activation())]},
         {"dropout", m.mlp.dropout()}};
  } else if (m.kind == ModelKind::MoeMlp) {
    const auto& o = m.moe_mlp;
    j = {{"kind", "moe-mlp"},      {"width", o.width()},
         {"blocks", o.blocks()},   {"activation", kActivationNames[size_t(o.activation())]},
         {"dropout", o.dropout()}, {"moe", moe_to_json(o.moe())}};
    if (!m.upcycle_from.empty()) {
      j["upcycle_from"] = m.upcycle_from;
      j["upcycle_noise"] = m.upcycle_noise;
    }
  } else if (m.kind == ModelKind::Vit) {
    const auto& o = m.vit;
    j = {{"kind", "vit"},         {"patch_size", o.patch_size()}, {"dim", o.dim()},
         {"depth", o.depth()},    {"heads", o.heads()},           {"mlp_ratio", o.mlp_ratio()},
         {"dropout", o.dropout()}};
  } else {
    j = {{"kind", "cnn"},
         {"channels", m.cnn.channels()},
         {"kernel_size", m.cnn.kernel_size()},
         {"fc_hidden", m.cnn.fc_hidden()},
         {"activation", kActivationNames[size_t(m.cnn.activation())]},
         {"dropout", m.cnn.dropout()},
         {"moe_blocks", m.cnn.moe_blocks()}};
    if (m.cnn.moe_blocks() > 0) j["moe"] = moe_to_json(m.cnn.moe());
  }
  return j;
}

}  // namespace slimlab
