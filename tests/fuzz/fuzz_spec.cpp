// libFuzzer target: any bytes as a spec file. The parser and reader must refuse with InputError
// (a message naming the field), never crash, hang or allocate without bound.
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "spec/experiment_spec.h"
#include "util/input_error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
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
