#pragma once

// The "quant" spec section as JSON (read with spec/spec_reader.h, so errors name the field).

#include <nlohmann/json_fwd.hpp>

#include <string>
#include <vector>

#include "quant/quant_options.h"

namespace slimlab {

/// "symmetric", "affine" and "per-channel", "per-tensor": the spec's names, in enum order.
const std::vector<std::string>& quant_scheme_names();
const std::vector<std::string>& quant_granularity_names();

/// Reads the object at `path` ("quant"). Throws InputError naming the field: bits outside
/// 2..8 (also in layer_bits), an unknown scheme, granularity or observer, a percentile outside
/// (50, 100].
QuantOptions read_quant(const nlohmann::json& section, const std::string& path);

/// Every field written out (what the run store keeps).
nlohmann::json quant_to_json(const QuantOptions& options);

}  // namespace slimlab
