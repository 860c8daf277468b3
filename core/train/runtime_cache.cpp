#include "train/runtime_cache.h"

#include <unistd.h>

#include <cerrno>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <sstream>

#include "measure/system_info.h"
#include "util/input_error.h"
#include "util/paths.h"

namespace slimlab {
namespace {

constexpr uint64_t kMaxFileBytes = 1 << 20;

uint64_t fnv1a(const std::string& text) {
  uint64_t hash = 0xcbf29ce484222325ull;
  for (unsigned char c : text) {
    hash ^= c;
    hash *= 0x100000001b3ull;
  }
  return hash;
}

}  // namespace

std::string runtime_cache_key(const std::string& model_json, const std::string& input,
                              int64_t batch_size, const std::string& optimizer,
                              const RuntimeSpec& runtime, int share) {
  const auto blas = active_blas();
  std::ostringstream key;
  key << "cpu=" << cpu_model_name() << ";cores=" << usable_cores() << ";share=" << share
      << ";torch=" << torch_version() << ";onednn=" << onednn_version() << ";blas=" << blas.name
      << "/" << blas.core << ";model=" << model_json << ";input=" << input
      << ";batch=" << batch_size << ";optimizer=" << optimizer << ";threads=" << runtime.threads
      << ";blas_threads=" << runtime.blas_threads << ";gemm=" << gemm_name(runtime.gemm);
  return key.str();
}

std::string runtime_cache_path(const std::string& key) {
  const auto dir = cache_directory();
  if (dir.empty()) return "";
  char name[40];
  std::snprintf(name, sizeof name, "%016llx.json", (unsigned long long)fnv1a(key));
  return dir + "/runtime/" + name;
}

std::optional<RuntimeChoice> read_cached_runtime(const std::string& key) {
  const auto path = runtime_cache_path(key);
  std::error_code ec;
  if (path.empty() || !std::filesystem::exists(path, ec)) return std::nullopt;
  if (std::filesystem::file_size(path, ec) > kMaxFileBytes || ec) return std::nullopt;
  std::ifstream in(path, std::ios::binary);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  try {
    auto [stored_key, choice] = parse_runtime_cache(text, path);
    if (stored_key != key) return std::nullopt;  // Another key with the same hash.
    return choice;
  } catch (const InputError&) {
    // Measured again, and written anew. Renamed away first: another process that read the same
    // damaged file may have written a good one here meanwhile, which a plain remove would take.
    const auto damaged = path + ".damaged" + std::to_string(::getpid());
    if (std::rename(path.c_str(), damaged.c_str()) == 0) std::remove(damaged.c_str());
    return std::nullopt;
  }
}

void forget_cached_runtime(const std::string& key) {
  const auto path = runtime_cache_path(key);
  if (path.empty()) return;
  std::remove(path.c_str());
}

void write_cached_runtime(const std::string& key, const RuntimeChoice& choice) {
  const auto path = runtime_cache_path(key);
  if (path.empty()) return;
  try {
    ensure_directory(parent_directory(path));
    const auto temp =
        path + ".tmp" + std::to_string(::getpid()) + "-" + std::to_string(std::random_device{}());
    {
      std::ofstream out(temp, std::ios::binary | std::ios::trunc);
      out << runtime_cache_text(key, choice);
      if (!out) {
        std::remove(temp.c_str());
        return;
      }
    }
    // link() fails when the entry exists: the first writer's choice stays. Where hard links are
    // not supported (vfat, some FUSE mounts) a rename puts it in place all the same.
    if (::link(temp.c_str(), path.c_str()) != 0 && errno != EEXIST) {
      if (std::rename(temp.c_str(), path.c_str()) == 0) return;
    }
    std::remove(temp.c_str());
  } catch (const std::exception&) {
    // No cache this time.
  }
}

}  // namespace slimlab
