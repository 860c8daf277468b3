#pragma once

// The "lowrank" spec section as JSON (read with spec/spec_reader.h, so errors name the field).

#include <nlohmann/json_fwd.hpp>

#include <string>

#include "lowrank/lowrank_options.h"

namespace slimlab {

/// Reads the object at `path` ("lowrank"). Throws InputError naming the field: a type or range
/// error, two of rank / rank_ratio / energy set, an energy outside (0, 1].
LowRankOptions read_lowrank(const nlohmann::json& section, const std::string& path);

/// Every field written out (what the run store keeps).
nlohmann::json lowrank_to_json(const LowRankOptions& options);

}  // namespace slimlab
