#include "data/idx_reader.h"

#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <thread>

#include "util/input_error.h"
#include "util/paths.h"

namespace slimlab {
namespace {

struct GzCloser {
  void operator()(gzFile_s* f) const { gzclose(f); }
};
using GzFile = std::unique_ptr<gzFile_s, GzCloser>;

std::string hex32(uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%08x", v);
  return buf;
}

// Reads exactly `size` bytes or reports how many the file had.
void read_exact(gzFile file, void* out, uint64_t size, uint64_t& offset, const std::string& path,
                const char* what) {
  auto* bytes = static_cast<unsigned char*>(out);
  uint64_t done = 0;
  while (done < size) {
    unsigned chunk = unsigned(std::min<uint64_t>(size - done, 1u << 30));
    int got = gzread(file, bytes + done, chunk);
    if (got < 0) {
      int code = 0;
      const char* message = gzerror(file, &code);
      throw InputError(path + ": corrupt at byte " + std::to_string(offset + done) + " (" +
                       message + ")");
    }
    if (got == 0) {
      throw InputError(path + ": truncated at byte " + std::to_string(offset + done) + " while " +
                       "reading " + what + " (expected " + std::to_string(size) + " bytes from " +
                       "byte " + std::to_string(offset) + ")");
    }
    done += uint64_t(got);
  }
  offset += size;
}

}  // namespace

IdxArray read_idx_file(const std::string& path, uint64_t max_values) {
  GzFile file(gzopen(path.c_str(), "rb"));
  if (!file) throw InputError(path + ": cannot open (missing or unreadable)");
  gzbuffer(file.get(), 1 << 20);

  uint64_t offset = 0;
  unsigned char magic[4];
  read_exact(file.get(), magic, 4, offset, path, "the magic number");
  uint32_t magic_value =
      uint32_t(magic[0]) << 24 | uint32_t(magic[1]) << 16 | uint32_t(magic[2]) << 8 | magic[3];
  if (magic[0] != 0 || magic[1] != 0 || magic[3] < 1 || magic[3] > 4) {
    throw InputError(path + ": wrong magic at byte 0: expected 0x0000080N (IDX, unsigned bytes, " +
                     "N = 1..4 dimensions), got " + hex32(magic_value) + "; not an IDX file");
  }
  if (magic[2] != 0x08) {
    throw InputError(path + ": element type " + hex32(magic[2]) + " at byte 2 is not " +
                     "supported; SlimLab reads unsigned-byte (0x08) IDX files");
  }
  IdxArray array;
  uint64_t count = 1;
  for (int d = 0; d < magic[3]; ++d) {
    unsigned char b[4];
    uint64_t at = offset;
    read_exact(file.get(), b, 4, offset, path, "the dimensions");
    uint64_t dim = uint64_t(b[0]) << 24 | uint64_t(b[1]) << 16 | uint64_t(b[2]) << 8 | b[3];
    if (dim == 0)
      throw InputError(path + ": dimension " + std::to_string(d) + " at byte " +
                       std::to_string(at) + " is 0");
    count *= dim;
    if (count > max_values) {
      throw InputError(path + ": dimensions at byte " + std::to_string(at) +
                       " describe more than " + std::to_string(max_values) +
                       " values; the header is corrupt");
    }
    array.dims.push_back(int64_t(dim));
  }
  // Grow in chunks as the bytes arrive: a truncated file never costs its claimed size. A plain
  // (not gzip'd) file that is long enough is allocated at once instead.
  constexpr uint64_t kChunk = 16u << 20;
  const uint64_t values_start = offset;
  std::error_code size_error;
  if (gzdirect(file.get()) == 1 &&
      std::filesystem::file_size(path, size_error) >= values_start + count && !size_error) {
    array.values.reserve(count);
  }
  while (array.values.size() < count) {
    uint64_t have = array.values.size();
    array.values.resize(have + std::min(kChunk, count - have));
    int got = gzread(file.get(), array.values.data() + have, unsigned(array.values.size() - have));
    if (got <= 0) {
      int code = 0;
      const char* why = got < 0 ? gzerror(file.get(), &code) : "end of file";
      throw InputError(path + ": truncated at byte " + std::to_string(values_start + have) + " (" +
                       why + "): the header promises " + std::to_string(count) +
                       " values from byte " + std::to_string(values_start) + " to byte " +
                       std::to_string(values_start + count));
    }
    array.values.resize(have + uint64_t(got));
  }
  return array;
}

namespace {

/// The decoded copy of `gz_path` in the cache, or "" when there is no cache directory.
std::string cached_copy_path(const std::string& gz_path) {
  const std::string dir = cache_directory();
  if (dir.empty()) return "";
  std::error_code ec;
  auto size = std::filesystem::file_size(gz_path, ec);
  if (ec) return "";
  auto mtime = std::filesystem::last_write_time(gz_path, ec);
  if (ec) return "";
  auto stem = std::filesystem::path(gz_path).stem().string();  // "train-images-idx3-ubyte"
  auto ns = mtime.time_since_epoch().count();
  // The source's directory is hashed in too: two datasets may share file names.
  auto where = std::hash<std::string>{}(std::filesystem::path(gz_path).parent_path().string());
  return dir + "/idx/" + stem + "-" + std::to_string(where % 1000003) + "-" + std::to_string(size) +
         "-" + std::to_string(ns) + ".idx";
}

void write_idx(const std::string& path, const IdxArray& a) {
  std::vector<unsigned char> header = {0, 0, 0x08, uint8_t(a.dims.size())};
  for (int64_t d : a.dims) {
    for (int shift = 24; shift >= 0; shift -= 8) header.push_back(uint8_t(uint64_t(d) >> shift));
  }
  // Written beside its final name under a name no other process or thread uses, then renamed:
  // a reader sees a whole file or none, even when two loads fill the cache at once.
  static std::atomic<uint64_t> counter{0};
  const std::string partial =
      path + ".partial-" + std::to_string(::getpid()) + "-" + std::to_string(counter.fetch_add(1)) +
      "-" + std::to_string(std::hash<std::thread::id>{}(std::this_thread::get_id()));
  {
    std::ofstream out(partial, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(header.data()), std::streamsize(header.size()));
    out.write(reinterpret_cast<const char*>(a.values.data()), std::streamsize(a.values.size()));
    if (!out) {
      out.close();
      std::filesystem::remove(partial);
      return;
    }
  }
  std::error_code ec;
  std::filesystem::rename(partial, path, ec);
  if (ec) std::filesystem::remove(partial, ec);
}

}  // namespace

IdxArray read_idx_file_cached(const std::string& path) {
  if (path.size() < 3 || path.compare(path.size() - 3, 3, ".gz") != 0) return read_idx_file(path);
  const std::string copy = cached_copy_path(path);
  if (!copy.empty() && std::filesystem::exists(copy)) {
    try {
      return read_idx_file(copy);
    } catch (const InputError&) {
      std::error_code ec;
      std::filesystem::remove(copy, ec);  // Damaged: rebuilt below from the source.
    }
  }
  IdxArray array = read_idx_file(path);
  if (!copy.empty()) {
    try {
      ensure_directory(parent_directory(copy));
      write_idx(copy, array);
    } catch (const std::exception&) {
      // No cache (read-only home, full disk): every start inflates the source instead.
    }
  }
  return array;
}

}  // namespace slimlab
