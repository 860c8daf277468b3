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

/// read_idx_file for gzip'd files read again and again (the packaged datasets): the first read
/// also writes the decoded file to the cache directory (util/paths.h), keyed by the source's
/// name, size and modification time; later reads take that copy, which skips ~0.4 s of
/// inflating per start. The copy is checked like any IDX file; a bad or unwritable cache falls
/// back to the source. Plain files are read directly.
IdxArray read_idx_file_cached(const std::string& path);

}  // namespace slimlab
