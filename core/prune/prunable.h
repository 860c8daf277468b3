#pragma once

#include <torch/nn/module.h>

#include <memory>
#include <string>
#include <vector>

#include "models/model_spec.h"
#include "prune/prune_options.h"

namespace slimlab {

/// What kind of weights a prunable layer holds; decides how N:M groups and units are read.
enum class LayerKind {
  Linear,   ///< [out, in]
  Conv2d,   ///< [out, in, kh, kw]
  Experts,  ///< A batched expert weight [E, in, out] (MoE w1 / w2).
  MoeLayer  ///< A whole mixture (expert-load pruning removes experts).
};

/// One layer a criterion can prune. `weight` and `bias` share storage with the module.
struct PrunableLayer {
  std::string name;  ///< "layers.0", "features.3", "fc", "moe0.w1", "moe0" (expert-load).
  LayerKind kind = LayerKind::Linear;
  torch::Tensor weight;
  torch::Tensor bias;  ///< Undefined when the layer has none.
  int64_t units = 0;   ///< Outputs (neurons, channels or experts) that structured pruning counts.
  std::shared_ptr<torch::nn::Module> module;  ///< expert-load: the MoE layer.
};

/// The layers of `module` (built from `spec`) that `criterion` can prune, in module order:
///  - magnitude, random, n:m: every weight matrix, kernel and expert weight (not routers,
///    embeddings of positions or the class token; n:m also needs the input dimension divisible
///    by M when the layer is not named explicitly);
///  - l1-norm, l2-norm: the hidden Linear layers of an mlp and the convolutions (and the hidden
///    Linear `fc` without MoE blocks) of a cnn: the layers whose units can physically go;
///  - expert-load: every MoE layer.
std::vector<PrunableLayer> prunable_layers(torch::nn::Module& module, const ModelSpec& spec,
                                           PruneCriterion criterion, int64_t m = 4);

/// The weight layers N:M cannot group in `module`: those whose input width (size(1)) is not a
/// multiple of `m`, in module order. With no layers named, n:m prunes the others and reports
/// these as skipped.
std::vector<PrunableLayer> nm_skipped_layers(torch::nn::Module& module, int64_t m);

/// The layers `options` selects from `module`. Throws InputError naming `prune.layers` for a
/// name that is not a prunable layer (listing the ones there are), a layer N:M cannot group,
/// or a criterion the model does not support.
std::vector<PrunableLayer> select_layers(torch::nn::Module& module, const ModelSpec& spec,
                                         const PruneOptions& options);

}  // namespace slimlab
