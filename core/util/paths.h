#pragma once

#include <string>

namespace slimlab {

/// The run store used when no --db is given:
/// `$XDG_DATA_HOME/SlimLab/runs.sqlite`, falling back to `~/.local/share/SlimLab/runs.sqlite`.
std::string default_store_path();

/// Where SlimLab keeps files it can rebuild (decoded datasets):
/// `$XDG_CACHE_HOME/SlimLab`, falling back to `~/.cache/SlimLab`; "" without a home directory.
std::string cache_directory();

/// Creates `dir` and its parents if missing; throws std::runtime_error naming the directory.
void ensure_directory(const std::string& dir);

/// The directory part of `path` ("." when it has none).
std::string parent_directory(const std::string& path);

/// This machine's host name ("unknown" when it has none).
std::string host_name();

/// Milliseconds since the Unix epoch (wall clock).
long long now_ms();

}  // namespace slimlab
