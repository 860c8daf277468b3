#include "quant/quant_method.h"

#include <torch/torch.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>

#include "data/dataset.h"
#include "models/layer_surgery.h"
#include "models/model_factory.h"
#include "quant/quant_section.h"
#include "util/input_error.h"

namespace slimlab {
namespace {

WeightQuantizer quantizer_for(const QuantOptions& o, const std::string& layer) {
  WeightQuantizer q;
  auto bits = o.layer_bits.find(layer);
  q.bits = bits != o.layer_bits.end() ? bits->second : o.bits;
  q.scheme = o.scheme == 0 ? QuantScheme::Symmetric : QuantScheme::Affine;
  q.per_channel = o.granularity == 0;
  q.observer.kind = RangeObserver(o.observer);
  q.observer.percentile = o.percentile;
  return q;
}

/// Bytes of a weight of `numel` values in `channels` channels at `bits`, packed, with a float32
/// scale and an int32 zero point per channel (one pair per tensor when per-tensor).
int64_t quantised_bytes(int64_t numel, int64_t channels, int64_t bits) {
  return (numel * bits + 7) / 8 + channels * 8;
}

}  // namespace

std::vector<std::pair<std::string, WeightQuantizer>> quantise_layers(torch::nn::AnyModule& model,
                                                                     const QuantOptions& options,
                                                                     const std::string& path) {
  auto& root = *model.ptr();
  const auto layers = checked_layers(root, options.layers, path + ".layers", "quantised");
  if (layers.empty()) {
    throw InputError(path +
                     ".layers: this model has no layer quantisation can replace yet "
                     "(mlp and cnn have)");
  }
  for (const auto& [name, bits] : options.layer_bits) {
    if (std::find(layers.begin(), layers.end(), name) == layers.end()) {
      throw InputError(path + ".layer_bits." + name + ": not a layer being quantised (" +
                       join_names(layers) + ")");
    }
  }
  std::vector<std::pair<std::string, WeightQuantizer>> out;
  for (const auto& name : layers) {
    auto module = root.named_modules()[name];
    auto q = quantizer_for(options, name);
    try {
      if (auto* linear = module->as<torch::nn::LinearImpl>()) {
        replace_layer(root, name, torch::nn::AnyModule(QuantLinear(*linear, q)));
      } else {
        replace_layer(root, name,
                      torch::nn::AnyModule(QuantConv2d(*module->as<torch::nn::Conv2dImpl>(), q)));
      }
    } catch (const std::invalid_argument& e) {
      throw InputError(path + ".layers: layer \"" + name + "\" cannot be quantised: " + e.what());
    }
    out.emplace_back(name, q);
  }
  return out;
}

double split_accuracy(torch::nn::AnyModule& model, const TensorDataset& split) {
  torch::NoGradGuard no_grad;
  const bool training = model.ptr()->is_training();
  model.ptr()->eval();
  int64_t correct = 0;
  for (int64_t at = 0; at < split.size(); at += 1000) {
    const int64_t end = std::min(split.size(), at + 1000);
    auto logits = model.forward(split.x.slice(0, at, end));
    correct += logits.argmax(1).eq(split.y.slice(0, at, end)).sum().item<int64_t>();
  }
  model.ptr()->train(training);
  return split.size() > 0 ? double(correct) / double(split.size()) : 0.0;
}

QuantMethod::QuantMethod(torch::nn::AnyModule& model, torch::nn::AnyModule float_model,
                         QuantOptions options,
                         std::vector<std::pair<std::string, WeightQuantizer>> layers,
                         StartingRun from, const DataSplits& data)
    : model_(model),
      float_model_(std::move(float_model)),
      options_(std::move(options)),
      layers_(std::move(layers)),
      from_(std::move(from)),
      data_(data) {}

std::string QuantMethod::summarise(const FinishedRun& run) {
  nlohmann::json layers = nlohmann::json::array();
  int64_t bytes_float = 0, bytes_quantised = 0;
  auto modules = model_.ptr()->named_modules();
  for (const auto& [name, q] : layers_) {
    auto module = modules[name];
    torch::Tensor weight, quantised, clip;
    std::string kind;
    if (auto* linear = module->as<QuantLinearImpl>()) {
      weight = linear->weight;
      clip = linear->clip;
      quantised = linear->quantized_weight();
      kind = "linear";
    } else {
      auto* conv = module->as<QuantConv2dImpl>();
      weight = conv->weight;
      clip = conv->clip;
      quantised = conv->quantized_weight();
      kind = "conv";
    }
    const auto params = q.params_with(weight.detach(), clip);
    const int64_t channels = q.per_channel ? weight.size(0) : 1;
    const int64_t f = weight.numel() * 4, b = quantised_bytes(weight.numel(), channels, q.bits);
    bytes_float += f;
    bytes_quantised += b;
    layers.push_back({{"layer", name},
                      {"kind", kind},
                      {"shape", weight.sizes().vec()},
                      {"bits", q.bits},
                      {"scale_min", params.scale.min().item<double>()},
                      {"scale_max", params.scale.max().item<double>()},
                      {"sqnr_db", sqnr_db(weight.detach(), quantised)},
                      {"bytes_float", f},
                      {"bytes_quantized", b}});
  }
  // Everything not quantised stays float32 (biases, other layers).
  const int64_t all_float = count_parameters(*model_.ptr()) * 4;
  nlohmann::json j = {
      {"layers", layers},
      {"default_bits", options_.bits},
      {"observer", range_observer_names()[size_t(options_.observer)]},
      {"scheme", options_.scheme == 0 ? "symmetric" : "affine"},
      {"granularity", options_.granularity == 0 ? "per-channel" : "per-tensor"},
      {"bytes_float", all_float},
      {"bytes_quantized", all_float - bytes_float + bytes_quantised},
      {"test_accuracy", run.test_accuracy},
      {"latency", "not measured: fake-quantised layers compute in float32 (no int8 kernels yet)"}};
  if (from_.id > 0) {
    j["from_run"] = {{"id", from_.id}, {"name", from_.name}, {"uuid", from_.uuid}};
    // The float weights the run started from, quantised and not trained: post-training
    // quantisation, measured on the same test split.
    auto ptq = float_model_.clone();
    quantise_layers(ptq, options_, "quant");
    const double float_accuracy = split_accuracy(float_model_, data_.test);
    const double ptq_accuracy = split_accuracy(ptq, data_.test);
    j["float_test_accuracy"] = float_accuracy;
    j["ptq_test_accuracy"] = ptq_accuracy;
    j["ptq_accuracy_drop_points"] = 100.0 * (float_accuracy - ptq_accuracy);
    j["accuracy_drop_points"] = 100.0 * (float_accuracy - run.test_accuracy);
  }
  return j.dump();
}

namespace {

MethodInfo quant_info() {
  MethodInfo info;
  info.key = "quant";
  info.label = "Quantisation";
  info.order = 300;
  info.read = [](const nlohmann::json& section, const std::string& path) {
    return quant_to_json(read_quant(section, path));
  };
  info.make = [](nlohmann::json& section,
                 MethodBuild& build) -> std::unique_ptr<CompressionMethod> {
    auto options = read_quant(section, "quant");
    for (const auto& other : build.spec_methods) {
      if (other == "prune") {
        throw InputError(
            "quant: pruning and quantisation in one run are not supported yet; "
            "quantise the finished pruned run instead (quant.from_run)");
      }
      if (other == "lowrank") {
        throw InputError(
            "quant: low-rank factorisation and quantisation in one run are not "
            "supported yet (nor quantising a factorised run)");
      }
    }
    require_replaceable_layers(build.model_spec, "quant", "quantisation");
    StartingRun from;
    if (!options.from_run.empty()) {
      from = build.load_run_weights("quant.from_run", options.from_run);
      options.from_run = from.uuid;
    }
    auto float_model = build.model.clone();
    auto layers = quantise_layers(build.model, options, "quant");
    section = quant_to_json(options);
    return std::make_unique<QuantMethod>(build.model, std::move(float_model), std::move(options),
                                         std::move(layers), std::move(from), build.data);
  };
  info.restructure = [](torch::nn::AnyModule& model, const nlohmann::json& section) {
    quantise_layers(model, read_quant(section, "quant"), "quant");
  };
  return info;
}

}  // namespace
}  // namespace slimlab

SLIMLAB_REGISTER_METHOD(quant, slimlab::quant_info())
