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
/// magic, unsupported element type, absurd dimensions (over `max_bytes`), truncated data.
IdxArray read_idx_file(const std::string& path, uint64_t max_bytes = uint64_t(1) << 32);

}  // namespace slimlab
