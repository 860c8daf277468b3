// libFuzzer target: any bytes as a compression plan file (Tune's --plan, and the plan stored with
// a tuned run). Bad text must be refused with an InputError naming the file; whatever is
// accepted holds only allowed settings and survives being written and read back.
#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>
#include <string>

#include "tune/compression_plan.h"
#include "util/input_error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    auto plan = slimlab::parse_plan_text(text, "fuzz.json");
    for (const auto& [name, s] : plan.layers) {
      if (name.empty() || s.empty()) __builtin_trap();
      if (s.sparsity && !(*s.sparsity >= 0 && *s.sparsity < 1)) __builtin_trap();
      if (s.rank && *s.rank < 1) __builtin_trap();
      if (s.bits && (*s.bits < 2 || *s.bits > 8)) __builtin_trap();
      if ((s.sparsity && s.rank) || (s.rank && s.bits)) __builtin_trap();
    }
    if (!(slimlab::plan_from_json(slimlab::plan_to_json(plan)) == plan)) __builtin_trap();
  } catch (const slimlab::InputError& e) {
    if (std::string(e.what()).rfind("fuzz.json", 0) != 0) __builtin_trap();  // Named.
  }
  return 0;
}
