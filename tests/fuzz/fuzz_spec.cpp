// libFuzzer target: any bytes as a spec file. The parser and reader must refuse with InputError
// (a message naming the field), never crash, hang or allocate without bound.
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "lowrank/lowrank_section.h"
#include "method/compression_method.h"
#include "method/method_registry.h"
#include "quant/quant_section.h"
#include "spec/experiment_spec.h"
#include "util/input_error.h"

namespace {

// The libFuzzer build compiles the spec readers alone (no trainer): it registers the sections
// of the registered methods itself, with a factory it never calls. The replay links the core,
// where they are registered already.
void register_section(const std::string& key,
                      nlohmann::json (*read)(const nlohmann::json&, const std::string&)) {
  if (slimlab::find_registered_method(key) != nullptr) return;
  slimlab::MethodInfo info;
  info.key = key;
  info.read = read;
  info.make = [](nlohmann::json&, slimlab::MethodBuild&) {
    return std::unique_ptr<slimlab::CompressionMethod>();
  };
  slimlab::register_method(info);
}

void register_sections() {
  register_section("lowrank", [](const nlohmann::json& section, const std::string& path) {
    return slimlab::lowrank_to_json(slimlab::read_lowrank(section, path));
  });
  register_section("quant", [](const nlohmann::json& section, const std::string& path) {
    return slimlab::quant_to_json(slimlab::read_quant(section, path));
  });
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const bool registered = (register_sections(), true);
  (void)registered;
  try {
    auto json = slimlab::parse_json_text(std::string(reinterpret_cast<const char*>(data), size),
                                         "fuzz.json");
    auto spec = slimlab::spec_from_json(json);
    // What the store keeps must read back as the same spec.
    auto again = slimlab::spec_from_json(slimlab::spec_to_json(spec));
    if (slimlab::spec_to_json(again) != slimlab::spec_to_json(spec)) __builtin_trap();
  } catch (const slimlab::InputError&) {
  }
  return 0;
}
