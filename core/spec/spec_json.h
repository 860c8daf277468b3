#pragma once

// Internal to core/spec: the JSON readers and writers shared by the spec's source files.

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "spec/experiment_spec.h"
#include "spec/spec_reader.h"

namespace slimlab::spec_json {

constexpr int64_t kMaxWidth = 65536;
constexpr int64_t kMaxLayers = 16;

extern const std::vector<std::string> kActivationNames;

/// Reads `key` as one of `names`, stored as the enum with that index.
template <typename Enum>
inline Enum read_enum(SpecReader& r, const char* key, Enum current,
                      const std::vector<std::string>& names) {
  int index = int(current);
  r.choice(key, index, names);
  return Enum(index);
}

ModelSpec read_model(SpecReader r);
DistillOptions read_distill(SpecReader r);
nlohmann::json distill_to_json(const DistillOptions& d);
PruneOptions read_prune(SpecReader r);
nlohmann::json prune_to_json(const PruneOptions& p);

}  // namespace slimlab::spec_json
