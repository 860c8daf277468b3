#pragma once

#include <nlohmann/json_fwd.hpp>

#include <string>
#include <vector>

#include "spec/spec_reader.h"

namespace slimlab {

/// Every field of a spec as its reader sees it, in reading order, with the spec's current
/// values written out: what the workbench's spec form is generated from (no form is written by
/// hand per experiment). Fields depend on choices (model.kind, prune.criterion, ...): call it
/// again when one changes. Throws InputError for an invalid spec.
///   auto complete = spec_to_json(spec_from_json(json));
///   for (const auto& f : spec_fields(complete)) ...
std::vector<FieldInfo> spec_fields(const nlohmann::json& spec);

/// What a field means, with its formula where REFERENCES.md has one ("" when undocumented).
/// List indices are ignored: "distill.teachers[1].weight" reads as "distill.teachers[].weight".
std::string field_help(const std::string& path);

}  // namespace slimlab
