#pragma once

// Weight quantisation as a compression method (method/compression_method.h): the spec's
// "quant" section wraps the chosen layers in quantised layers (quant/quant_layers.h) before
// step 0, the run trains through the quantiser (quantisation-aware training), and the summary
// reports per layer bits, ranges, SQNR and bytes, and, from a finished run, the post-training
// quantised accuracy beside the float and the trained one.

#include <torch/nn/modules/container/any.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "method/compression_method.h"
#include "method/method_registry.h"
#include "quant/quant_layers.h"
#include "quant/quant_options.h"

namespace slimlab {

/// Wraps the layers `options` chooses in `model` in QuantLinear / QuantConv2d, in place.
/// Fields are named under `path` ("quant"). Returns each wrapped layer's name and quantiser.
/// Throws InputError naming the field for an unknown or unquantisable layer, or a layer_bits
/// entry for a layer not quantised.
std::vector<std::pair<std::string, WeightQuantizer>> quantise_layers(torch::nn::AnyModule& model,
                                                                     const QuantOptions& options,
                                                                     const std::string& path);

/// Test accuracy of `model` (eval mode, no gradient) on `split`, in batches of 1000: [0, 1].
double split_accuracy(torch::nn::AnyModule& model, const TensorDataset& split);

class QuantMethod : public CompressionMethod {
 public:
  /// `model` is the trainer's (already wrapped); `float_model` a copy from before wrapping (the
  /// float weights the run started from); `from` the run it started from (id 0: none).
  QuantMethod(torch::nn::AnyModule& model, torch::nn::AnyModule float_model, QuantOptions options,
              std::vector<std::pair<std::string, WeightQuantizer>> layers, StartingRun from,
              const DataSplits& data);

  const char* key() const override { return "quant"; }
  /// Per layer: kind, shape, bits, scheme, granularity, observer, the smallest and largest
  /// scale, SQNR (dB) of the final weights, bytes in float32 and quantised (bits per weight,
  /// packed, plus a float32 scale and an int32 zero point per channel); the network's bytes;
  /// with `from_run`: the float run's test accuracy, the post-training quantised one (its
  /// weights quantised, not trained) and the drops in points. No latency: the fake-quantised
  /// layers compute in float32, so nothing here is faster than float (no integer kernels yet).
  std::string summarise(const FinishedRun& run) override;

 private:
  torch::nn::AnyModule& model_;
  torch::nn::AnyModule float_model_;
  QuantOptions options_;
  std::vector<std::pair<std::string, WeightQuantizer>> layers_;
  StartingRun from_;
  const DataSplits& data_;
};

}  // namespace slimlab
