#pragma once

// The per-machine cache of measured runtime choices: one small JSON file per key in
// `$XDG_CACHE_HOME/SlimLab/runtime/`, so a model measured once starts at once afterwards.
//   {"format": "slimlab-runtime-choice", "version": 1, "key": "...",
//    "threads": 1, "blas_threads": 2, "gemm": "blas", "measure_seconds": 1.7,
//    "others_busy_cores": 0.02,
//    "measured": [{"threads": 2, "blas_threads": 1, "gemm": "onednn", "steps_per_second": 480}]}

#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>

#include "train/runtime.h"

namespace slimlab {

/// The text a choice is cached under: the machine (CPU model, usable cores, the run's share),
/// the libraries (LibTorch, oneDNN, the BLAS and its kernels), and what is measured (the model
/// spec, sample shape, classes, batch size, optimiser kind and the spec's runtime fields).
std::string runtime_cache_key(const std::string& model_json, const std::string& input,
                              int64_t batch_size, const std::string& optimizer,
                              const RuntimeSpec& runtime, int share);

/// The cache file for `key`: cache_directory()/runtime/<64-bit FNV-1a of key, hex>.json; "" when
/// there is no cache directory (no home).
std::string runtime_cache_path(const std::string& key);

/// Parses a cache file's text. Throws InputError naming `path` and the field when it is not
/// JSON, not this format, or holds a value out of range (threads 1..1024, blas_threads 0..1024,
/// gemm "onednn" or "blas", finite non-negative speeds and seconds, at most 64 candidates,
/// others_busy_cores 0..1024 when present).
/// Returns the key the file was written for, and the choice (source Cached).
std::pair<std::string, RuntimeChoice> parse_runtime_cache(const std::string& text,
                                                          const std::string& path);

/// Measured candidates as the cache file and the run store keep them:
///   [{"threads": 2, "blas_threads": 1, "gemm": "onednn", "steps_per_second": 480, "rounds": 3}]
nlohmann::json measured_to_json(const std::vector<RuntimeChoice::Measured>& candidates);

/// The text of a cache file for `choice` under `key` (what parse_runtime_cache reads back).
std::string runtime_cache_text(const std::string& key, const RuntimeChoice& choice);

/// The cached choice for `key`, or nothing when absent, unreadable, damaged (a damaged file is
/// removed, so the next run measures again) or written for another key (a hash collision).
std::optional<RuntimeChoice> read_cached_runtime(const std::string& key);

/// Removes the entry for `key`, so the next run of its model measures again (the caller checks
/// that the entry is the one it means: read_cached_runtime). Never throws.
void forget_cached_runtime(const std::string& key);

/// Caches `choice` under `key` unless an entry is already there: the first writer wins, so
/// two processes measuring the same model at once both go on with one choice (they re-read).
/// Never throws: a cache that cannot be written only costs a measurement next time.
void write_cached_runtime(const std::string& key, const RuntimeChoice& choice);

}  // namespace slimlab
