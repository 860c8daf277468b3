// libFuzzer target: any bytes as a safetensors teacher. Lying headers (offsets past the end,
// overlaps, absurd shapes, bad dtypes) must be refused with InputError before allocating.
#include <sys/mman.h>
#include <unistd.h>

#include <c10/util/Exception.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "distill/safetensors.h"
#include "util/input_error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  int fd = memfd_create("fuzz.safetensors", 0);
  if (fd < 0) return 0;
  if (size > 0 && write(fd, data, size) != ssize_t(size)) {
    close(fd);
    return 0;
  }
  try {
    auto tensors = slimlab::read_safetensors("/proc/self/fd/" + std::to_string(fd));
    for (const auto& [name, t] : tensors) {
      if (int64_t(t.nbytes()) > int64_t(size)) __builtin_trap();  // Bounded by the file.
    }
  } catch (const slimlab::InputError&) {
  }
  close(fd);
  return 0;
}
