// libFuzzer target: any bytes as a runtime-choice cache file. Bad text must be refused with
// InputError naming the file; whatever is accepted must survive being written and read back.
#include <cstddef>
#include <cstdint>
#include <string>

#include "train/runtime_cache.h"
#include "util/input_error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    auto [key, choice] = slimlab::parse_runtime_cache(text, "fuzz.json");
    if (choice.threads < 1 || choice.threads > 1024) __builtin_trap();
    if (choice.gemm == slimlab::GemmKind::Auto) __builtin_trap();
    auto [key2, again] =
        slimlab::parse_runtime_cache(slimlab::runtime_cache_text(key, choice), "again.json");
    if (key2 != key || !again.same_settings(choice) ||
        again.measured.size() != choice.measured.size()) {
      __builtin_trap();
    }
  } catch (const slimlab::InputError& e) {
    if (std::string(e.what()).rfind("fuzz.json: ", 0) != 0) __builtin_trap();  // Named.
  }
  return 0;
}
