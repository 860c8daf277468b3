#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace slimlab {

/// An unsigned-byte IDX array (the MNIST file format): dimensions and raw values.
struct IdxArray {
  std::vector<int64_t> dims;
  std::vector<uint8_t> values;
};

/// Reads an IDX file of unsigned bytes, gzip'd or plain (zlib reads both).
/// Throws InputError naming the file and the byte offset of the problem: missing file, wrong
/// magic, unsupported element type, absurd dimensions (over `max_values`, default 2^28 =
/// 268 M values, 5.7x Fashion-MNIST's training images), truncated data. Memory grows with the
/// data actually read, so a lying header cannot make it allocate.
IdxArray read_idx_file(const std::string& path, uint64_t max_values = uint64_t(1) << 28);

}  // namespace slimlab
