#include "spec/experiment_spec.h"

#include <nlohmann/json.hpp>

#include <fstream>
#include <sstream>

#include "method/method_registry.h"
#include "spec/spec_json.h"
#include "spec/spec_reader.h"

namespace slimlab {
namespace {

using namespace spec_json;

const std::vector<std::string> kOptimizerNames = {"adam", "sgd"};

constexpr int64_t kMaxCount = 100'000'000;
constexpr int kMaxJsonDepth = 64;

DataSpec read_data(SpecReader r) {
  DataSpec d;
  d.dataset = read_enum(r, "dataset", d.dataset, dataset_names());
  r.text("path", d.path);
  r.number("validation_share", d.validation_share, 0.0, 0.9);
  r.integer("batch_size", d.batch_size, 1, kMaxWidth);
  r.integer("train_subset", d.train_subset, 0, kMaxCount);
  r.integer("test_subset", d.test_subset, 0, kMaxCount);
  if (is_generated_dataset(d.dataset)) {
    r.integer("points", d.points, 10, 10'000'000);
    r.integer("test_points", d.test_points, 10, 10'000'000);
    r.number("noise", d.noise, 0.0, 10.0);
    r.integer("classes", d.classes, 2, 100);
  } else {
    // Not read, so not listed by spec_fields (a form shows only what applies), but accepted:
    // specs written before this (and by older forms) carry them for image and CSV data.
    for (const char* key : {"points", "test_points", "noise", "classes"}) r.known(key);
  }
  r.finish();
  if (d.dataset == DatasetKind::Idx && d.path.empty()) {
    throw InputError(r.path() + ".path: dataset \"idx\" needs a directory of IDX files");
  }
  if (d.dataset == DatasetKind::Csv && d.path.empty()) {
    throw InputError(r.path() +
                     ".path: dataset \"csv\" needs a directory holding train.csv and test.csv");
  }
  return d;
}

OptimizerSpec read_optimizer(SpecReader r) {
  OptimizerSpec o;
  o.kind = read_enum(r, "kind", o.kind, kOptimizerNames);
  r.number("lr", o.lr, 1e-12, 1e6);
  r.number("weight_decay", o.weight_decay, 0.0, 1.0);
  r.number("momentum", o.momentum, 0.0, 0.999);
  r.boolean("nesterov", o.nesterov);
  r.finish();
  return o;
}

ScheduleSpec read_schedule(SpecReader r) {
  ScheduleSpec s;
  r.integer("epochs", s.epochs, 0, 100'000);
  r.integer("steps", s.steps, 0, 1'000'000'000);
  r.integer("eval_interval_steps", s.eval_interval_steps, 0, 1'000'000'000);
  r.integer("checkpoint_interval_steps", s.checkpoint_interval_steps, 0, 1'000'000'000);
  r.integer("log_interval_steps", s.log_interval_steps, 1, 1'000'000);
  r.finish();
  if (s.epochs == 0 && s.steps == 0) {
    throw InputError(r.path() + ".epochs: set epochs or steps above 0");
  }
  return s;
}

RuntimeSpec read_runtime(SpecReader r) {
  RuntimeSpec rt;
  r.integer("threads", rt.threads, 0, 1024);
  r.integer("blas_threads", rt.blas_threads, 0, 1024);
  rt.gemm = read_enum(r, "gemm", rt.gemm, gemm_names());
  r.finish();
  return rt;
}

}  // namespace

ExperimentSpec spec_from_json(const nlohmann::json& json) {
  SpecReader r(json, "");
  ExperimentSpec spec;
  r.integer("schema", spec.schema, 1, INT64_MAX);
  if (spec.schema > kSpecSchema) {
    throw InputError("schema: this SlimLab reads spec schema " + std::to_string(kSpecSchema) +
                     ", the file has schema " + std::to_string(spec.schema) +
                     "; update SlimLab to run it");
  }
  r.text("name", spec.name);
  if (spec.name.empty() || spec.name.size() > 200) {
    throw InputError("name: must be 1 to 200 characters, got " + std::to_string(spec.name.size()));
  }
  r.integer("seed", spec.seed, 0, INT64_MAX);
  spec.data = read_data(r.object("data"));
  spec.model = read_model(r.object("model"));
  spec.optimizer = read_optimizer(r.object("optimizer"));
  spec.schedule = read_schedule(r.object("schedule"));
  spec.runtime = read_runtime(r.object("runtime"));
  if (r.has("distill")) {
    spec.has_distill = true;
    spec.distill = read_distill(r.object("distill"));
  }
  if (r.has("prune")) {
    spec.has_prune = true;
    spec.prune = read_prune(r.object("prune"));
  }
  for (const auto* method : registered_methods()) {
    r.known(method->key.c_str());
    if (r.has(method->key.c_str())) {
      spec.method_sections[method->key] = method->read(json.at(method->key), method->key).dump();
    }
  }
  r.finish();
  bool image_model = spec.model.kind == ModelKind::Cnn || spec.model.kind == ModelKind::Vit;
  if (image_model && !is_image_dataset(spec.data.dataset)) {
    throw InputError(std::string("model.kind: ") + model_name(spec.model.kind) +
                     " needs image data, but data.dataset is " + dataset_name(spec.data.dataset) +
                     "; use mlp or moe-mlp for 2-D sets and CSV tables");
  }
  return spec;
}

nlohmann::json spec_to_json(const ExperimentSpec& spec) {
  nlohmann::json j;
  j["schema"] = spec.schema;
  j["name"] = spec.name;
  j["seed"] = spec.seed;
  const auto& d = spec.data;
  j["data"] = {{"dataset", dataset_name(d.dataset)},     {"path", d.path},
               {"validation_share", d.validation_share}, {"batch_size", d.batch_size},
               {"train_subset", d.train_subset},         {"test_subset", d.test_subset}};
  if (is_generated_dataset(d.dataset)) {
    j["data"]["points"] = d.points;
    j["data"]["test_points"] = d.test_points;
    j["data"]["noise"] = d.noise;
    j["data"]["classes"] = d.classes;
  }
  j["model"] = model_to_json(spec.model);
  const auto& o = spec.optimizer;
  j["optimizer"] = {{"kind", kOptimizerNames[size_t(o.kind)]},
                    {"lr", o.lr},
                    {"weight_decay", o.weight_decay},
                    {"momentum", o.momentum},
                    {"nesterov", o.nesterov}};
  const auto& s = spec.schedule;
  j["schedule"] = {{"epochs", s.epochs},
                   {"steps", s.steps},
                   {"eval_interval_steps", s.eval_interval_steps},
                   {"checkpoint_interval_steps", s.checkpoint_interval_steps},
                   {"log_interval_steps", s.log_interval_steps}};
  j["runtime"] = {{"threads", spec.runtime.threads},
                  {"blas_threads", spec.runtime.blas_threads},
                  {"gemm", gemm_name(spec.runtime.gemm)}};
  if (spec.has_distill) j["distill"] = distill_to_json(spec.distill);
  if (spec.has_prune) j["prune"] = prune_to_json(spec.prune);
  for (const auto& [key, text] : spec.method_sections) j[key] = nlohmann::json::parse(text);
  return j;
}

nlohmann::json parse_json_text(const std::string& text, const std::string& source) {
  // Refuse deep nesting before the recursive parser can exhaust the stack.
  bool too_deep = false;
  nlohmann::json::parser_callback_t guard = [&too_deep](int depth, nlohmann::json::parse_event_t,
                                                        nlohmann::json&) {
    if (depth > kMaxJsonDepth) too_deep = true;
    return !too_deep;
  };
  try {
    auto j = nlohmann::json::parse(text, guard);
    if (too_deep) {
      throw InputError(source + ": JSON nests deeper than " + std::to_string(kMaxJsonDepth) +
                       " levels");
    }
    return j;
  } catch (const nlohmann::json::parse_error& e) {
    std::string what = e.what();
    auto pos = what.find("parse error");
    throw InputError(source +
                     ": not valid JSON: " + (pos == std::string::npos ? what : what.substr(pos)));
  } catch (const nlohmann::json::exception& e) {
    // Found by fuzz_spec: a number like 1E1111 overflows while parsing (out_of_range 406), which
    // is not a parse_error and ended the program.
    std::string what = e.what();
    auto pos = what.find("] ");
    throw InputError(
        source + ": not valid JSON: " + (pos == std::string::npos ? what : what.substr(pos + 2)));
  }
}

nlohmann::json load_json_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(path + ": cannot open spec file");
  std::ostringstream buffer;
  buffer << in.rdbuf();
  std::string text = buffer.str();
  if (text.size() > (16u << 20)) throw InputError(path + ": spec file larger than 16 MiB");
  return parse_json_text(text, path);
}

void apply_override(nlohmann::json& spec, const std::string& assignment) {
  auto eq = assignment.find('=');
  if (eq == std::string::npos || eq == 0) {
    throw InputError("--set " + assignment + ": expected path.to.field=value");
  }
  std::string path = assignment.substr(0, eq);
  std::string text = assignment.substr(eq + 1);
  nlohmann::json value = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (value.is_discarded()) value = text;  // Bare words are strings: --set model.kind=cnn.

  nlohmann::json* node = &spec;
  std::string walked;
  size_t i = 0;
  while (i < path.size()) {
    if (path[i] == '[') {
      auto close = path.find(']', i);
      if (close == std::string::npos) throw InputError("--set " + path + ": missing ']'");
      std::string digits = path.substr(i + 1, close - i - 1);
      if (digits.empty() || digits.size() > 6 ||
          digits.find_first_not_of("0123456789") != std::string::npos) {
        throw InputError("--set " + path + ": list index must be a number below 1000000, got [" +
                         digits + "]");
      }
      size_t index = std::stoul(digits);
      if (!node->is_array() || index >= node->size()) {
        throw InputError("--set " + path + ": " + walked + " has no entry [" + digits + "]");
      }
      node = &(*node)[index];
      walked += "[" + digits + "]";
      i = close + 1;
      if (i < path.size() && path[i] == '.') ++i;
      continue;
    }
    auto end = path.find_first_of(".[", i);
    std::string key = path.substr(i, end == std::string::npos ? std::string::npos : end - i);
    if (key.empty()) throw InputError("--set " + path + ": empty field name");
    if (node->is_null()) *node = nlohmann::json::object();
    if (!node->is_object()) {
      throw InputError("--set " + path + ": " + walked + " is not an object");
    }
    node = &(*node)[key];
    walked += (walked.empty() ? "" : ".") + key;
    i = end == std::string::npos ? path.size() : (path[end] == '.' ? end + 1 : end);
  }
  *node = value;
}

}  // namespace slimlab
