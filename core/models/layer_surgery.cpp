#include "models/layer_surgery.h"

#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/linear.h>
#include <torch/torch.h>

#include <stdexcept>

#include "models/cnn.h"
#include "models/model_spec.h"
#include "util/input_error.h"
#include "util/nearest_word.h"

namespace slimlab {
namespace {

bool is_dense_layer(const torch::nn::Module& m) {
  return m.as<torch::nn::LinearImpl>() != nullptr || m.as<torch::nn::Conv2dImpl>() != nullptr;
}

/// "layers.0" -> {"layers", 0}; {"", -1} when `name` does not end in a list index.
std::pair<std::string, int64_t> split_index(const std::string& name) {
  auto dot = name.rfind('.');
  if (dot == std::string::npos || dot + 1 == name.size()) return {"", -1};
  const std::string digits = name.substr(dot + 1);
  if (digits.size() > 6 || digits.find_first_not_of("0123456789") != std::string::npos) {
    return {"", -1};
  }
  return {name.substr(0, dot), std::stoll(digits)};
}

}  // namespace

std::vector<std::string> replaceable_layers(torch::nn::Module& model) {
  std::vector<std::string> names;
  auto* cnn = model.as<CnnImpl>();
  for (const auto& item : model.named_modules("", /*include_self=*/false)) {
    const auto& [parent, index] = split_index(item.key());
    const bool in_sequential =
        index >= 0 && model.named_modules()[parent]->as<torch::nn::SequentialImpl>() != nullptr;
    const bool cnn_slot = cnn != nullptr && (item.key() == "fc" || item.key() == "out");
    if ((in_sequential || cnn_slot) && is_dense_layer(*item.value())) names.push_back(item.key());
  }
  return names;
}

void require_replaceable_layers(const ModelSpec& spec, const std::string& key,
                                const std::string& what) {
  if (spec.kind == ModelKind::Mlp || spec.kind == ModelKind::Cnn) return;
  throw InputError(key + ": " + model_name(spec.kind) + " models have no layer " + what +
                   " can replace yet (mlp and cnn have)");
}

std::string join_names(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out.empty() ? "(none)" : out;
}

std::vector<std::string> checked_layers(torch::nn::Module& model,
                                        const std::vector<std::string>& names,
                                        const std::string& field, const std::string& verb) {
  const auto replaceable = replaceable_layers(model);
  if (names.empty()) return replaceable;
  auto modules = model.named_modules("", /*include_self=*/false);
  for (size_t i = 0; i < names.size(); ++i) {
    const auto& name = names[i];
    const std::string where = field + "[" + std::to_string(i) + "]";
    if (std::find(names.begin(), names.begin() + i, name) != names.begin() + i) {
      throw InputError(where + ": layer \"" + name + "\" is listed twice");
    }
    if (std::find(replaceable.begin(), replaceable.end(), name) != replaceable.end()) continue;
    if (const auto* found = modules.find(name)) {
      throw InputError(where + ": layer \"" + name + "\" (" + (*found)->name() + ") cannot be " +
                       verb + "; layers that can: " + join_names(replaceable));
    }
    auto near = nearest_word(name, replaceable);
    throw InputError(where + ": no layer \"" + name + "\" in this model" +
                     (near.empty() ? "" : "; did you mean \"" + near + "\"?") +
                     "; layers that can be " + verb + ": " + join_names(replaceable));
  }
  return names;
}

int64_t layer_output_positions(torch::nn::Module& model, const std::string& name,
                               const std::vector<int64_t>& sample_shape) {
  auto layer = model.named_modules()[name];
  if (layer->as<torch::nn::Conv2dImpl>() == nullptr) return 1;
  const auto dot = name.rfind('.');
  auto* sequential = model.named_modules()[name.substr(0, dot)]->as<torch::nn::SequentialImpl>();
  const auto index = std::stoll(name.substr(dot + 1));
  std::vector<int64_t> shape = {1};
  shape.insert(shape.end(), sample_shape.begin(), sample_shape.end());
  torch::NoGradGuard no_grad;
  auto h = torch::zeros(shape);
  int64_t i = 0;
  for (auto& item : *sequential) {
    h = item.forward(h);
    if (i++ == index) break;
  }
  return h.size(2) * h.size(3);
}

void replace_layer(torch::nn::Module& model, const std::string& name,
                   torch::nn::AnyModule replacement) {
  const auto layers = replaceable_layers(model);
  if (std::find(layers.begin(), layers.end(), name) == layers.end()) {
    throw std::invalid_argument("layer \"" + name + "\" cannot be replaced");
  }
  if (auto* cnn = model.as<CnnImpl>(); cnn != nullptr && (name == "fc" || name == "out")) {
    cnn->replace_module(name, replacement.ptr());
    (name == "fc" ? cnn->fc_replacement : cnn->out_replacement) = std::move(replacement);
    return;
  }
  const auto& [parent, index] = split_index(name);
  auto sequential = model.named_modules()[parent]->as<torch::nn::SequentialImpl>();
  // The Sequential runs its list of modules; its registered children only name them.
  *(sequential->begin() + index) = replacement;
  sequential->replace_module(std::to_string(index), replacement.ptr());
}

}  // namespace slimlab
