#pragma once

#include <nlohmann/json_fwd.hpp>
#include <string>

namespace slimlab {

struct ExperimentSpec;

// The file paths inside a spec: data.path and the teachers' torchscript / safetensors files.
// SlimLab only reads them; it writes to the run store and its own cache, never to a path that
// came from a spec.

/// Makes the relative paths written in a spec file absolute against the file's own directory: a
/// spec means the files beside it, from whichever directory it is started (the CLI's and the
/// window's working directories differ). Paths given afterwards (--set) stay relative to the
/// working directory, as a shell user expects.
void anchor_spec_paths(nlohmann::json& spec, const std::string& spec_file);

/// Reads a spec file (load_json_file) and anchors its relative paths (anchor_spec_paths).
nlohmann::json load_spec_file(const std::string& path);

/// Makes the spec's remaining relative paths absolute against the working directory, so the
/// stored spec means the same files for `resume` and `show` from anywhere.
void make_spec_paths_absolute(ExperimentSpec& spec);

}  // namespace slimlab
