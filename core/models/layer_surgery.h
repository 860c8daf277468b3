#pragma once

// Swapping one layer of a built model for another module that computes the same shapes (a
// factorised layer, later a quantised one), by the layer's module name. The model keeps its
// type; the replacement is registered under the old name, so its parameters are named
// "<layer>.<its own names>" in state dicts and checkpoints.

#include <torch/nn/module.h>
#include <torch/nn/modules/container/any.h>

#include <string>
#include <vector>

namespace slimlab {

struct ModelSpec;

/// The layers replace_layer() can swap, in module order: every Linear and Conv2d held in a
/// Sequential (mlp's "layers.0", cnn's "features.0") and cnn's "fc" and "out". moe-mlp and vit
/// have none yet.
std::vector<std::string> replaceable_layers(torch::nn::Module& model);

/// The layers a method names in the spec field `field` ("lowrank.layers"), checked against
/// replaceable_layers(model); `names` empty = all of them. `verb` says what the method does to
/// a layer ("factorised"). Throws InputError naming `field[i]` for a name listed twice, a name
/// that is no layer (with the nearest name) or a layer that cannot be replaced (with its type),
/// listing those that can.
std::vector<std::string> checked_layers(torch::nn::Module& model,
                                        const std::vector<std::string>& names,
                                        const std::string& field, const std::string& verb);

/// Throws InputError "<key>: moe-mlp models have no layer <what> can replace yet (mlp and cnn
/// have)" for a model kind without replaceable layers; `key` is the method's spec section.
void require_replaceable_layers(const ModelSpec& spec, const std::string& key,
                                const std::string& what);

/// "a, b, c", or "(none)".
std::string join_names(const std::vector<std::string>& names);

/// Output positions per sample of the replaceable layer `name` (H x W of a conv's output, found
/// by running the Sequential holding it on one zero example [1, sample_shape...] up to that
/// layer); 1 for a Linear layer. A layer's MACs per sample are its weight's size times this.
int64_t layer_output_positions(torch::nn::Module& model, const std::string& name,
                               const std::vector<int64_t>& sample_shape);

/// Replaces the layer `name` (one of replaceable_layers()) by `replacement`, which must take
/// and return tensors of the old layer's shapes. Throws std::invalid_argument naming the layer
/// when it is not replaceable.
void replace_layer(torch::nn::Module& model, const std::string& name,
                   torch::nn::AnyModule replacement);

}  // namespace slimlab
