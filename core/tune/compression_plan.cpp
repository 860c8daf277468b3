#include "tune/compression_plan.h"

#include <nlohmann/json.hpp>

#include <cstdio>
#include <fstream>
#include <sstream>

#include "spec/experiment_spec.h"
#include "spec/spec_reader.h"
#include "util/input_error.h"

namespace slimlab {
namespace {

// Layer names are module paths ("features.3"); a bound keeps a hostile file from making one huge.
constexpr size_t kMaxLayerName = 256;
constexpr size_t kMaxLayers = 4096;

LayerSetting read_setting(const nlohmann::json& object, const std::string& path) {
  if (!object.is_object()) {
    throw InputError(path + ": must be an object such as {\"sparsity\": 0.5}, got " +
                     describe_json(object));
  }
  SpecReader r(object, path);
  for (const char* key : {"sparsity", "rank", "bits"}) r.known(key);  // Listed when one is wrong.
  LayerSetting s;
  if (r.has("sparsity")) {
    double v = 0;
    r.number("sparsity", v, 0, 1);
    if (v >= 1)
      throw InputError(path + ".sparsity: must be below 1 (1 would empty the layer), got 1");
    s.sparsity = v;
  }
  if (r.has("rank")) {
    int64_t v = 0;
    r.integer("rank", v, 1, 65536);
    s.rank = v;
  }
  if (r.has("bits")) {
    int64_t v = 0;
    r.integer("bits", v, 2, 8);
    s.bits = v;
  }
  r.finish();
  if (s.sparsity && s.rank) {
    throw InputError(path + ": a layer is either pruned (sparsity) or factorised (rank), not both");
  }
  if (s.rank && s.bits) {
    throw InputError(path +
                     ": a factorised layer (rank) cannot be quantised (bits) yet: its two factors "
                     "would be quantised separately, which Tune does not evaluate");
  }
  return s;
}

}  // namespace

CompressionPlan plan_from_json(const nlohmann::json& object, const std::string& path) {
  if (!object.is_object()) {
    throw InputError(path +
                     ": a plan must be a JSON object {\"schema\": 1, \"layers\": {...}}, got " +
                     describe_json(object));
  }
  SpecReader r(object, path);
  int64_t schema = 1;
  r.integer("schema", schema, 1, 1);
  r.known("layers");
  r.finish();
  CompressionPlan plan;
  auto layers = object.find("layers");
  if (layers == object.end()) return plan;
  if (!layers->is_object()) {
    throw InputError(path + ".layers: must be an object of layer name -> setting, got " +
                     describe_json(*layers));
  }
  if (layers->size() > kMaxLayers) {
    throw InputError(path + ".layers: at most " + std::to_string(kMaxLayers) + " layers, got " +
                     std::to_string(layers->size()));
  }
  for (const auto& [name, setting] : layers->items()) {
    const std::string field = path + ".layers." + name;
    if (name.empty() || name.size() > kMaxLayerName) {
      throw InputError(path + ".layers: a layer name must have 1 to " +
                       std::to_string(kMaxLayerName) + " characters");
    }
    auto s = read_setting(setting, field);
    if (!s.empty()) plan.layers[name] = s;
  }
  return plan;
}

CompressionPlan parse_plan_text(const std::string& text, const std::string& source) {
  return plan_from_json(parse_json_text(text, source), source);
}

CompressionPlan read_plan_file(const std::string& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw InputError(file + ": cannot read the plan file (missing or not readable)");
  std::stringstream text;
  text << in.rdbuf();
  return parse_plan_text(text.str(), file);
}

nlohmann::json plan_to_json(const CompressionPlan& plan) {
  nlohmann::json layers = nlohmann::json::object();
  for (const auto& [name, s] : plan.layers) {
    nlohmann::json o = nlohmann::json::object();
    if (s.sparsity) o["sparsity"] = *s.sparsity;
    if (s.rank) o["rank"] = *s.rank;
    if (s.bits) o["bits"] = *s.bits;
    layers[name] = o;
  }
  return {{"schema", 1}, {"layers", layers}};
}

std::string describe_setting(const LayerSetting& s) {
  std::string out;
  char buf[64];
  auto add = [&](const std::string& part) { out += (out.empty() ? "" : ", ") + part; };
  if (s.sparsity) {
    std::snprintf(buf, sizeof buf, "sparsity %.2f", *s.sparsity);
    add(buf);
  }
  if (s.rank) add("rank " + std::to_string(*s.rank));
  if (s.bits) add(std::to_string(*s.bits) + " bits");
  return out.empty() ? "as trained" : out;
}

}  // namespace slimlab
