#include "spec/spec_paths.h"

#include <filesystem>
#include <nlohmann/json.hpp>

#include "spec/experiment_spec.h"

namespace slimlab {
namespace {

namespace fs = std::filesystem;

std::string absolute_against(const fs::path& base, const std::string& path) {
  auto normal = (base / path).lexically_normal();
  // "data/" and "." name the directory itself: no trailing slash to double up in file names.
  if (!normal.has_filename() && normal.has_parent_path() && normal != normal.root_path()) {
    normal = normal.parent_path();
  }
  return normal.string();
}

// A relative, non-empty string field becomes `base/field`; anything else is left for the spec
// reader to judge (and name in its message).
void anchor(nlohmann::json& object, const char* key, const fs::path& base) {
  if (!object.is_object()) return;
  auto it = object.find(key);
  if (it == object.end() || !it->is_string()) return;
  auto path = it->get<std::string>();
  if (!path.empty() && fs::path(path).is_relative()) *it = absolute_against(base, path);
}

}  // namespace

void anchor_spec_paths(nlohmann::json& spec, const std::string& spec_file) {
  if (!spec.is_object()) return;
  const fs::path base = fs::absolute(spec_file).parent_path();
  if (auto data = spec.find("data"); data != spec.end()) anchor(*data, "path", base);
  auto distill = spec.find("distill");
  if (distill == spec.end() || !distill->is_object()) return;
  auto teachers = distill->find("teachers");
  if (teachers == distill->end() || !teachers->is_array()) return;
  for (auto& teacher : *teachers) {
    anchor(teacher, "torchscript", base);
    anchor(teacher, "safetensors", base);
  }
}

nlohmann::json load_spec_file(const std::string& path) {
  auto json = load_json_file(path);
  anchor_spec_paths(json, path);
  return json;
}

void make_spec_paths_absolute(ExperimentSpec& spec) {
  const fs::path here = fs::current_path();
  for (auto& teacher : spec.distill.teachers) {
    if (teacher.source != TeacherSource::Run) teacher.ref = absolute_against(here, teacher.ref);
  }
  if (!spec.data.path.empty()) spec.data.path = absolute_against(here, spec.data.path);
}

}  // namespace slimlab
