// libFuzzer target: any bytes as an IDX file, plain or gzip'd. Bad files must be refused with
// InputError naming the file and offset; a lying header must not make the reader allocate.
#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "data/idx_reader.h"
#include "util/input_error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // An in-memory file, read through its /proc path as a user's file would be.
  int fd = memfd_create("fuzz.idx", 0);
  if (fd < 0) return 0;
  if (size > 0 && write(fd, data, size) != ssize_t(size)) {
    close(fd);
    return 0;
  }
  try {
    // 2^22 values: small enough that a header may not claim more than the fuzzer can afford.
    auto a = slimlab::read_idx_file("/proc/self/fd/" + std::to_string(fd), uint64_t(1) << 22);
    uint64_t count = 1;
    for (int64_t d : a.dims) count *= uint64_t(d);
    if (count != a.values.size()) __builtin_trap();  // Never a short array without an error.
  } catch (const slimlab::InputError&) {
  }
  close(fd);
  return 0;
}
