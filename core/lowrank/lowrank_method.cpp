#include "lowrank/lowrank_method.h"

#include <torch/torch.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <stdexcept>

#include "data/dataset.h"
#include "lowrank/low_rank_layers.h"
#include "lowrank/lowrank_section.h"
#include "measure/latency.h"
#include "models/layer_surgery.h"
#include "models/model_factory.h"
#include "util/input_error.h"

namespace slimlab {
namespace {

std::string shape_text(const torch::Tensor& t) {
  std::string out = "[";
  for (int64_t d = 0; d < t.dim(); ++d) out += (d ? ", " : "") + std::to_string(t.size(d));
  return out + "]";
}

/// The layers to factorise: `options.layers`, or every factorisable one but the output layer.
std::vector<std::string> chosen_layers(torch::nn::Module& model, const LowRankOptions& options,
                                       const std::string& path) {
  auto layers = checked_layers(model, options.layers, path + ".layers", "factorised");
  if (options.layers.empty() && !layers.empty())
    layers.pop_back();  // The classifier keeps its rank.
  if (layers.empty()) {
    throw InputError(path + ".layers: this " + model.name() +
                     " has no layer low-rank factorisation can replace (mlp and cnn have)");
  }
  return layers;
}

int64_t params_of(const torch::nn::Module& m) { return count_parameters(m); }

}  // namespace

std::vector<FactorisedLayer> factorise_layers(torch::nn::AnyModule& model,
                                              const LowRankOptions& options,
                                              const std::string& path,
                                              const std::vector<int64_t>& sample_shape) {
  auto& root = *model.ptr();
  const auto layers = chosen_layers(root, options, path);
  for (const auto& [name, rank] : options.layer_rank) {
    if (std::find(layers.begin(), layers.end(), name) == layers.end()) {
      throw InputError(path + ".layer_rank." + name + ": not a layer being factorised (" +
                       join_names(layers) + ")");
    }
  }
  std::vector<FactorisedLayer> out;
  for (const auto& name : layers) {
    auto module = root.named_modules()[name];
    auto* linear = module->as<torch::nn::LinearImpl>();
    auto* conv = module->as<torch::nn::Conv2dImpl>();
    const torch::Tensor& weight = linear != nullptr ? linear->weight : conv->weight;
    auto matrix = weight.reshape({weight.size(0), -1});
    const int64_t m = matrix.size(0), n = matrix.size(1), full = std::min(m, n);
    FactorisedLayer f;
    f.layer = name;
    f.kind = linear != nullptr ? "linear" : "conv";
    f.shape = weight.sizes().vec();
    f.full_rank = full;
    auto override_rank = options.layer_rank.find(name);
    const std::string rank_field =
        override_rank != options.layer_rank.end() ? path + ".layer_rank." + name : path + ".rank";
    if (override_rank != options.layer_rank.end() || options.rank > 0) {
      f.rank = override_rank != options.layer_rank.end() ? override_rank->second : options.rank;
      if (f.rank > full) {
        throw InputError(
            rank_field + ": " + std::to_string(f.rank) + " is above the rank of layer " + name +
            " (min(m, n) = " + std::to_string(full) + " of its weight " + shape_text(matrix) + ")");
      }
    } else if (options.energy > 0) {
      f.rank = rank_for_energy(factorize(matrix, 1).singular_values, options.energy);
    } else {
      f.rank = rank_for_ratio(m, n, options.rank_ratio);
    }
    const int64_t positions = layer_output_positions(root, name, sample_shape);
    f.params_before = params_of(*module);
    f.macs_before = m * n * positions;
    try {
      torch::nn::AnyModule replacement;
      LowRankFactors factors;
      if (linear != nullptr) {
        auto low = factorize_linear(*linear, f.rank);
        f.params_after = params_of(*low);
        replacement = torch::nn::AnyModule(low);
      } else {
        auto low = factorize_conv(*conv, f.rank);
        f.params_after = params_of(*low);
        replacement = torch::nn::AnyModule(low);
      }
      f.relative_error = factorize(matrix, f.rank).relative_error;
      replace_layer(root, name, std::move(replacement));
    } catch (const std::invalid_argument& e) {
      throw InputError(path + ".layers: layer \"" + name + "\" cannot be factorised: " + e.what());
    }
    f.macs_after = f.rank * (m + n) * positions;
    out.push_back(f);
  }
  return out;
}

void build_factorised_layers(torch::nn::AnyModule& model,
                             const std::map<std::string, int64_t>& layer_rank) {
  auto& root = *model.ptr();
  for (const auto& [name, rank] : layer_rank) {
    const auto layers = replaceable_layers(root);
    if (std::find(layers.begin(), layers.end(), name) == layers.end()) {
      throw std::runtime_error("lowrank.layer_rank: layer \"" + name +
                               "\" cannot be factorised in this model");
    }
    // The same layers a factorisation builds (their weights follow from the checkpoint).
    auto module = root.named_modules()[name];
    if (auto* linear = module->as<torch::nn::LinearImpl>()) {
      replace_layer(root, name, torch::nn::AnyModule(factorize_linear(*linear, rank)));
    } else {
      auto* conv = module->as<torch::nn::Conv2dImpl>();
      replace_layer(root, name, torch::nn::AnyModule(factorize_conv(*conv, rank)));
    }
  }
}

LowRankMethod::LowRankMethod(torch::nn::AnyModule& model, torch::nn::AnyModule dense,
                             ModelCost dense_cost, std::vector<FactorisedLayer> layers,
                             LowRankOptions options, StartingRun from, const DataSplits& data)
    : model_(model),
      dense_(std::move(dense)),
      dense_cost_(dense_cost),
      layers_(std::move(layers)),
      options_(std::move(options)),
      from_(std::move(from)),
      data_(data) {}

void LowRankMethod::prepare(const MethodSetup& setup) {
  // The optimiser was made over the dense weights; it trains the factors instead. Nothing has
  // stepped yet, so there is no optimiser state to carry over.
  setup.optimizer.param_groups().at(0).params() = setup.model.parameters();
}

std::string LowRankMethod::summarise(const FinishedRun& run) {
  nlohmann::json layers = nlohmann::json::array();
  int64_t params_saved = 0, macs_saved = 0;
  std::vector<std::string> grown;
  for (const auto& f : layers_) {
    layers.push_back({{"layer", f.layer},
                      {"kind", f.kind},
                      {"shape", f.shape},
                      {"rank", f.rank},
                      {"full_rank", f.full_rank},
                      {"params_before", f.params_before},
                      {"params_after", f.params_after},
                      {"macs_before", f.macs_before},
                      {"macs_after", f.macs_after},
                      {"relative_error", f.relative_error}});
    params_saved += f.params_before - f.params_after;
    macs_saved += f.macs_before - f.macs_after;
    if (f.params_after >= f.params_before) grown.push_back(f.layer);
  }
  nlohmann::json j = {{"layers", layers},
                      {"params_dense", dense_cost_.params},
                      {"params", dense_cost_.params - params_saved},
                      {"params_active", dense_cost_.active_params - params_saved},
                      {"macs_per_sample_dense", dense_cost_.macs},
                      {"macs_per_sample", dense_cost_.macs - macs_saved},
                      {"test_accuracy", run.test_accuracy}};
  if (!grown.empty()) {
    // At or above the break-even rank k = mn / (m + n) a factorised layer is no smaller.
    j["warning"] = "no smaller than dense (rank at or above the break-even mn / (m + n)): " +
                   join_names(grown);
  }
  if (from_.id > 0) {
    j["from_run"] = {{"id", from_.id}, {"name", from_.name}, {"uuid", from_.uuid}};
    if (std::isfinite(from_.test_accuracy)) {
      j["dense_test_accuracy"] = from_.test_accuracy;
      j["accuracy_drop_points"] = 100.0 * (from_.test_accuracy - run.test_accuracy);
    }
  }
  const int64_t batch = std::min<int64_t>(options_.latency_batch, data_.test.size());
  if (batch > 0) {
    auto input = data_.test.x.slice(0, 0, batch);
    torch::NoGradGuard no_grad;
    const bool training = model_.ptr()->is_training();
    dense_.ptr()->eval();
    model_.ptr()->eval();
    auto times = compare_latency({[&] { dense_.forward(input); }, [&] { model_.forward(input); }});
    model_.ptr()->train(training);
    auto latency = [](const Latency& l) {
      return nlohmann::json{{"median_ms", l.median_ms},
                            {"p10_ms", l.p10_ms},
                            {"p90_ms", l.p90_ms},
                            {"repeats", l.repeats}};
    };
    j["latency"] = {{"batch", batch},
                    {"dense", latency(times[0])},
                    {"factorised", latency(times[1])},
                    {"speedup", times[0].median_ms / times[1].median_ms}};
  }
  return j.dump();
}

namespace {

MethodInfo lowrank_info() {
  MethodInfo info;
  info.key = "lowrank";
  info.label = "Low-rank factorisation";
  info.order = 200;
  info.read = [](const nlohmann::json& section, const std::string& path) {
    return lowrank_to_json(read_lowrank(section, path));
  };
  info.make = [](nlohmann::json& section,
                 MethodBuild& build) -> std::unique_ptr<CompressionMethod> {
    auto options = read_lowrank(section, "lowrank");
    require_replaceable_layers(build.model_spec, "lowrank", "low-rank factorisation");
    for (const auto& other : build.spec_methods) {
      if (other == "prune") {
        throw InputError(
            "lowrank: pruning and low-rank factorisation in one run are not "
            "supported yet; remove the prune or the lowrank section");
      }
    }
    StartingRun from;
    if (!options.from_run.empty()) {
      from = build.load_run_weights("lowrank.from_run", options.from_run);
      options.from_run = from.uuid;
    }
    auto dense = build.model.clone();
    auto layers = factorise_layers(build.model, options, "lowrank", build.data.sample_shape);
    // The stored spec names every rank, so a resume or a loaded run rebuilds the same layers.
    for (const auto& f : layers) options.layer_rank[f.layer] = f.rank;
    section = lowrank_to_json(options);
    const auto cost = model_cost(build.model_spec, build.data.sample_shape, build.data.classes);
    return std::make_unique<LowRankMethod>(build.model, std::move(dense), cost, std::move(layers),
                                           std::move(options), std::move(from), build.data);
  };
  info.restructure = [](torch::nn::AnyModule& model, const nlohmann::json& section) {
    build_factorised_layers(model, read_lowrank(section, "lowrank").layer_rank);
  };
  return info;
}

}  // namespace
}  // namespace slimlab

SLIMLAB_REGISTER_METHOD(lowrank, slimlab::lowrank_info())
