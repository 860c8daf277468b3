#pragma once

// Low-rank factorisation as a compression method (method/compression_method.h): the spec's
// "lowrank" section factorises the chosen layers before step 0 (lowrank/low_rank_layers.h),
// the run fine-tunes the factors, and the summary reports per layer what it cost and saved.

#include <torch/nn/modules/container/any.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "lowrank/lowrank_options.h"
#include "measure/model_cost.h"
#include "method/compression_method.h"
#include "method/method_registry.h"

namespace slimlab {

/// One factorised layer, as its run's summary reports it.
struct FactorisedLayer {
  std::string layer;           ///< Module name: "layers.0", "features.3", "fc".
  std::string kind;            ///< "linear" or "conv".
  std::vector<int64_t> shape;  ///< The dense weight's: [m, n] or [out, in, kh, kw].
  int64_t rank = 0;            ///< k.
  int64_t full_rank = 0;       ///< min(m, n) of the weight as a matrix ([out, in kh kw] for conv).
  int64_t params_before = 0, params_after = 0;  ///< Weights and bias.
  int64_t macs_before = 0, macs_after = 0;      ///< Multiply-accumulates per sample.
  /// ||W - W_k||_F / ||W||_F of the weights factorised (before fine-tuning).
  double relative_error = 0;
};

/// Factorises the layers `options` chooses in `model` (built on data of `sample_shape`, e.g.
/// {1, 28, 28}), in place, and returns what each became. Fields are named under `path`
/// ("lowrank"). Throws InputError naming the field for an unknown or unfactorisable layer, a
/// rank outside 1 .. min(m, n) of its layer, or a layer_rank entry for a layer not factorised.
std::vector<FactorisedLayer> factorise_layers(torch::nn::AnyModule& model,
                                              const LowRankOptions& options,
                                              const std::string& path,
                                              const std::vector<int64_t>& sample_shape);

/// Gives a freshly built `model` the factorised layers of `layer_rank` (weights to be loaded
/// from a checkpoint). Throws std::runtime_error naming a layer that is not factorisable.
void build_factorised_layers(torch::nn::AnyModule& model,
                             const std::map<std::string, int64_t>& layer_rank);

/// The method the trainer runs: its layers are factorised when it is built; prepare() hands
/// the optimiser the factors in place of the dense weights; summarise() measures.
class LowRankMethod : public CompressionMethod {
 public:
  /// `model` is the trainer's (already factorised), `dense` a copy of it from before,
  /// `dense_cost` the dense network's cost, `from` the run it started from (id 0: none).
  LowRankMethod(torch::nn::AnyModule& model, torch::nn::AnyModule dense, ModelCost dense_cost,
                std::vector<FactorisedLayer> layers, LowRankOptions options, StartingRun from,
                const DataSplits& data);

  const char* key() const override { return "lowrank"; }
  void prepare(const MethodSetup& setup) override;
  /// Per layer rank, parameters, MACs and reconstruction error; the network's parameters and
  /// MACs per sample after factorisation ("params_active", "macs_per_sample"); the inference
  /// latency of the dense and the factorised network at `latency_batch` test examples, measured
  /// interleaved (ms); with `from_run`, that run's test accuracy and the drop in points.
  std::string summarise(const FinishedRun& run) override;

  const std::vector<FactorisedLayer>& layers() const { return layers_; }

 private:
  torch::nn::AnyModule& model_;
  torch::nn::AnyModule dense_;
  ModelCost dense_cost_;
  std::vector<FactorisedLayer> layers_;
  LowRankOptions options_;
  StartingRun from_;
  const DataSplits& data_;
};

}  // namespace slimlab
