#pragma once

// The "quant" spec section: which layers' weights are quantised, to how many bits, how.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace slimlab {

/// Weight quantisation (quant/fake_quant.h): the chosen layers compute with their weights
/// quantised and dequantised in every forward pass, the float weights training underneath
/// through the straight-through estimator (quantisation-aware training). Started from a
/// finished run (`from_run`), the run's summary also reports the post-training quantised
/// network (the run's weights quantised, no training) against the float one.
struct QuantOptions {
  /// Bits of every chosen layer's weights, 2..8. Default 8.
  int64_t bits = 8;
  /// Per-layer bits over `bits` (mixed precision): {"layers.0": 8}. Default empty.
  std::map<std::string, int64_t> layer_bits;
  /// "symmetric" (narrow range, zero point 0) or "affine". Default "symmetric".
  int scheme = 0;
  /// "per-channel" (one scale per output channel) or "per-tensor". Default "per-channel".
  int granularity = 0;
  /// "min-max", "percentile" or "mse" (quant/observers.h): how each range is chosen, again
  /// whenever the weights changed. Default "min-max".
  int observer = 0;
  /// The percentile observer's p, in (50, 100]. Default 99.99.
  double percentile = 99.99;
  /// Layers, by module name (models/layer_surgery.h); empty = every Linear and Conv2d the model
  /// lets replace. Default empty.
  std::vector<std::string> layers;
  /// A finished run (name, id or uuid prefix) whose weights are quantised; its model must be
  /// this spec's. Default empty (the spec's initial weights).
  std::string from_run;
};

}  // namespace slimlab
