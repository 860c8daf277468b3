#include "prune/prune_report.h"

#include <torch/torch.h>

#include <nlohmann/json.hpp>

#include "measure/latency.h"
#include "measure/system_info.h"
#include "models/model_factory.h"
#include "prune/pruner.h"
#include "prune/shrink.h"

namespace slimlab {
namespace {

// How many times per sample a weight layer's kernel is applied: output positions of a
// convolution, tokens of a transformer Linear, top-k of E for an expert tensor.
double applications(const ModelSpec& spec, int64_t image_size, const PrunableLayer& layer,
                    int64_t conv_index) {
  if (spec.kind == ModelKind::Cnn && layer.kind == LayerKind::Conv2d) {
    int64_t size = image_size >> conv_index;  // Same padding, then a 2x2 pool per block.
    return double(size * size);
  }
  if (spec.kind == ModelKind::Vit) {
    int64_t patches = image_size / spec.vit.patch_size();
    if (layer.kind == LayerKind::Conv2d) return double(patches * patches);
    if (layer.name.rfind("blocks.", 0) == 0) return double(patches * patches + 1);
  }
  if (layer.kind == LayerKind::Experts) {
    const auto& moe = spec.kind == ModelKind::Cnn ? spec.cnn.moe() : spec.moe_mlp.moe();
    return double(moe.top_k()) / double(moe.experts());
  }
  return 1.0;
}

nlohmann::json latency_json(const Latency& l) {
  return {{"median_ms", l.median_ms},
          {"p10_ms", l.p10_ms},
          {"p90_ms", l.p90_ms},
          {"repeats", l.repeats}};
}

// Inference latency of each network on `input`, measured interleaved.
std::vector<Latency> time_forwards(std::vector<torch::nn::AnyModule*> models,
                                   const torch::Tensor& input) {
  torch::NoGradGuard no_grad;
  std::vector<std::function<void()>> calls;
  for (auto* model : models) {
    model->ptr()->eval();
    calls.push_back([model, &input] { model->forward(input); });
  }
  return compare_latency(calls);
}

}  // namespace

nlohmann::json layer_table(torch::nn::Module& module, const ModelSpec& spec,
                           const std::vector<int64_t>& sample_shape) {
  torch::NoGradGuard no_grad;
  nlohmann::json rows = nlohmann::json::array();
  int64_t params = 0, nonzeros = 0, weights = 0, weight_nonzeros = 0, csr = 0;
  int64_t macs = 0, nonzero_macs = 0;
  int64_t conv_index = 0;
  auto share_zero = [](int64_t nz, int64_t n) {
    return n > 0 ? 1.0 - double(nz) / double(n) : 0.0;
  };
  for (const auto& layer : prunable_layers(module, spec, PruneCriterion::Magnitude)) {
    const auto& w = layer.weight;
    int64_t n = w.numel() + (layer.bias.defined() ? layer.bias.numel() : 0);
    int64_t weight_nz = w.ne(0).sum().item<int64_t>();
    int64_t nz = weight_nz + (layer.bias.defined() ? layer.bias.ne(0).sum().item<int64_t>() : 0);
    double times = applications(spec, sample_shape.back(), layer, conv_index);
    double nonzero_times = times;
    if (layer.kind == LayerKind::Experts) {
      // Each token still visits top_k experts; pruned experts only shrink the pool.
      int64_t live = w.flatten(1).ne(0).any(1).sum().item<int64_t>();
      nonzero_times = live > 0 ? times * double(w.size(0)) / double(live) : 0.0;
    }
    if (layer.kind == LayerKind::Conv2d) ++conv_index;
    // Whole MACs per row, and the total their sum.
    const auto row_macs = int64_t(times * double(w.numel()));
    const auto row_nonzero_macs = int64_t(nonzero_times * double(weight_nz));
    rows.push_back({{"name", layer.name},
                    {"shape", w.sizes().vec()},
                    {"params", n},
                    {"nonzeros", nz},
                    {"sparsity", share_zero(nz, n)},
                    {"weights", w.numel()},
                    {"weight_sparsity", share_zero(weight_nz, w.numel())},
                    {"macs", row_macs},
                    {"nonzero_macs", row_nonzero_macs}});
    params += n;
    nonzeros += nz;
    weights += w.numel();
    weight_nonzeros += weight_nz;
    macs += row_macs;
    nonzero_macs += row_nonzero_macs;
    int64_t row_count = w.numel() / w.size(-1);
    csr += weight_nz * 8 + (row_count + 1) * 4 + (n - w.numel()) * 4;
  }
  // Everything else (routers, norms, embeddings, and the biases of no weight layer): one row
  // without a weight tensor of its own.
  int64_t all = count_parameters(module);
  int64_t rest_nz = 0;
  for (const auto& p : module.parameters()) rest_nz += p.ne(0).sum().item<int64_t>();
  rest_nz -= nonzeros;
  if (all > params) {
    rows.push_back({{"name", "(other)"},
                    {"shape", nlohmann::json::array()},
                    {"params", all - params},
                    {"nonzeros", rest_nz},
                    {"sparsity", share_zero(rest_nz, all - params)},
                    {"weights", 0},
                    {"macs", 0},
                    {"nonzero_macs", 0}});
    csr += (all - params) * 4;
  }
  return {{"layers", rows},
          {"totals",
           {{"params", all},
            {"nonzeros", nonzeros + rest_nz},
            {"sparsity", share_zero(nonzeros + rest_nz, all)},
            {"weights", weights},
            {"weight_sparsity", share_zero(weight_nonzeros, weights)},
            {"macs", macs},
            {"nonzero_macs", nonzero_macs}}},
          {"bytes", {{"dense", all * 4}, {"csr", csr}}}};
}

nlohmann::json floored_layers_json(const Pruner& pruner) {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& state : pruner.layers()) {
    if (state.floored_step < 0) continue;
    const bool units = state.unit_keep.defined();
    const auto& mask = state.masks[0].mask;
    int64_t size = units ? state.layer.units : mask.numel();
    int64_t kept =
        units ? int64_t(state.unit_keep.sum().item<double>()) : mask.ne(0).sum().item<int64_t>();
    list.push_back({{"name", state.layer.name},
                    {"step", state.floored_step},
                    {"size", size},
                    {"unit", units ? "units" : "weights"},
                    {"asked", state.floored_asked},
                    {"kept", kept}});
  }
  return list;
}

nlohmann::json skipped_layers_json(const Pruner& pruner) {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& layer : pruner.skipped_layers()) {
    list.push_back({{"name", layer.name}, {"inputs", layer.inputs}, {"m", pruner.options().m}});
  }
  return list;
}

nlohmann::json prune_report(torch::nn::AnyModule& masked, const ModelSpec& model,
                            const PruneOptions& prune, const Pruner& pruner, const DataSplits& data,
                            std::optional<ModelSpec>* shrunk_model) {
  nlohmann::json report;
  report["table"] = layer_table(*masked.ptr(), model, data.sample_shape);
  // The mask sparsity covers what the masks act on: the weight tensor of each selected layer
  // (an MoE layer's w1 for expert-load), not biases or layers left unselected.
  int64_t masked_out = 0, covered = 0;
  nlohmann::json mask_layers = nlohmann::json::array();
  std::map<std::string, torch::Tensor> unit_keep;
  for (const auto& state : pruner.layers()) {
    const auto& mask = state.masks[0].mask;
    masked_out += mask.eq(0).sum().item<int64_t>();
    covered += mask.numel();
    bool moe = state.layer.kind == LayerKind::MoeLayer;
    mask_layers.push_back(moe ? state.layer.name + ".w1" : state.layer.name);
    if (state.unit_keep.defined()) unit_keep[state.layer.name] = state.unit_keep;
  }
  report["mask_sparsity"] = covered > 0 ? double(masked_out) / double(covered) : 0.0;
  report["mask_weights"] = covered;
  report["mask_layers"] = mask_layers;
  report["floored_layers"] = floored_layers_json(pruner);
  report["skipped_layers"] = skipped_layers_json(pruner);

  // The same input for every network: the first test examples, repeated to fill the batch.
  const int64_t batch = prune.latency_batch;
  auto index = torch::arange(batch) % std::max<int64_t>(data.test.size(), 1);
  auto input = data.test.x.index_select(0, index);

  auto dense = make_model(model, data.sample_shape, data.classes);
  auto dense_table = layer_table(*dense.ptr(), model, data.sample_shape);
  auto summary = [](const nlohmann::json& table) {
    return nlohmann::json{
        {"params", table["totals"]["params"]},    {"nonzeros", table["totals"]["nonzeros"]},
        {"macs", table["totals"]["macs"]},        {"nonzero_macs", table["totals"]["nonzero_macs"]},
        {"bytes_dense", table["bytes"]["dense"]}, {"bytes_csr", table["bytes"]["csr"]}};
  };
  report["before"] = summary(dense_table);
  report["masked"] = summary(report["table"]);
  nlohmann::json latency = {{"batch", batch},
                            {"torch_threads", torch_threads()},
                            {"blas_threads", active_blas().threads}};
  std::vector<torch::nn::AnyModule*> networks = {&dense, &masked};
  ShrunkModel shrunk;
  if (!unit_keep.empty()) {
    shrunk = shrink_model(model, *masked.ptr(), unit_keep, data.sample_shape, data.classes);
    networks.push_back(&shrunk.model);
  }
  auto times = time_forwards(networks, input);
  latency["dense"] = latency_json(times[0]);
  latency["masked"] = latency_json(times[1]);
  if (!unit_keep.empty()) {
    report["shrunk"] = summary(layer_table(*shrunk.model.ptr(), shrunk.spec, data.sample_shape));
    if (shrunk_model != nullptr) *shrunk_model = shrunk.spec;
    latency["shrunk"] = latency_json(times[2]);
    torch::NoGradGuard no_grad;
    auto difference = (shrunk.model.forward(input) - masked.forward(input)).abs().max();
    report["shrunk_max_abs_diff"] = difference.item<double>();
    report["speedup"] =
        latency["dense"]["median_ms"].get<double>() / latency["shrunk"]["median_ms"].get<double>();
  } else {
    report["speedup"] =
        latency["dense"]["median_ms"].get<double>() / latency["masked"]["median_ms"].get<double>();
  }
  report["latency"] = latency;
  return report;
}

}  // namespace slimlab
