#include "spec/experiment_spec.h"

#include <nlohmann/json.hpp>

#include <fstream>
#include <sstream>

#include "spec/spec_reader.h"

namespace slimlab {
namespace {

const std::vector<std::string> kDatasetNames = {"fashion-mnist", "mnist", "idx",   "spirals",
                                                "moons",         "circles", "blobs", "xor"};
const std::vector<std::string> kModelNames = {"mlp", "cnn", "moe-mlp", "vit"};
const std::vector<std::string> kGateNames = {"top-k", "noisy-top-k", "switch", "gumbel-softmax"};
const std::vector<std::string> kGumbelModeNames = {"soft", "hard"};
const std::vector<std::string> kActivationNames = {"relu", "gelu", "tanh"};
const std::vector<std::string> kOptimizerNames = {"adam", "sgd"};

constexpr int64_t kMaxWidth = 65536;
constexpr int64_t kMaxLayers = 16;
constexpr int64_t kMaxCount = 100'000'000;
constexpr int kMaxJsonDepth = 64;

template <typename Enum>
Enum read_enum(SpecReader& r, const char* key, Enum current,
               const std::vector<std::string>& names) {
  int index = int(current);
  r.choice(key, index, names);
  return Enum(index);
}

DataSpec read_data(SpecReader r) {
  DataSpec d;
  d.dataset = read_enum(r, "dataset", d.dataset, kDatasetNames);
  r.text("path", d.path);
  r.number("validation_share", d.validation_share, 0.0, 0.9);
  r.integer("batch_size", d.batch_size, 1, kMaxWidth);
  r.integer("train_subset", d.train_subset, 0, kMaxCount);
  r.integer("test_subset", d.test_subset, 0, kMaxCount);
  r.integer("points", d.points, 10, 10'000'000);
  r.integer("test_points", d.test_points, 10, 10'000'000);
  r.number("noise", d.noise, 0.0, 10.0);
  r.integer("classes", d.classes, 2, 100);
  r.finish();
  if (d.dataset == DatasetKind::Idx && d.path.empty()) {
    throw InputError(r.path() + ".path: dataset \"idx\" needs a directory of IDX files");
  }
  return d;
}

MoeOptions read_moe(SpecReader r) {
  MoeOptions o;
  r.integer("experts", o.experts(), 1, 64);
  r.integer("hidden", o.hidden(), 1, kMaxWidth);
  o.activation(read_enum(r, "activation", o.activation(), kActivationNames));
  o.gate(read_enum(r, "gate", o.gate(), kGateNames));
  r.integer("top_k", o.top_k(), 1, 64);
  if (o.top_k() > o.experts()) {
    throw InputError(r.path() + ".top_k: must be between 1 and experts (" +
                     std::to_string(o.experts()) + "), got " + std::to_string(o.top_k()));
  }
  if (o.gate() == GateKind::Switch) o.top_k(1);  // Switch routing is top-1 by definition.
  r.boolean("renormalize", o.renormalize());
  r.number("capacity_factor", o.capacity_factor(), -1.0, 64.0);
  r.number("eval_capacity_factor", o.eval_capacity_factor(), -1.0, 64.0);
  r.number("temperature", o.temperature(), 0.01, 100.0);
  o.gumbel_mode(read_enum(r, "gumbel_mode", o.gumbel_mode(), kGumbelModeNames));
  r.number("balance_loss", o.balance_loss(), 0.0, 100.0);
  r.number("importance_loss", o.importance_loss(), 0.0, 100.0);
  r.number("z_loss", o.z_loss(), 0.0, 100.0);
  r.finish();
  return o;
}

nlohmann::json moe_to_json(const MoeOptions& o) {
  return {{"experts", o.experts()},
          {"hidden", o.hidden()},
          {"activation", kActivationNames[size_t(o.activation())]},
          {"gate", kGateNames[size_t(o.gate())]},
          {"top_k", o.top_k()},
          {"renormalize", o.renormalize()},
          {"capacity_factor", o.capacity_factor()},
          {"eval_capacity_factor", o.eval_capacity_factor()},
          {"temperature", o.temperature()},
          {"gumbel_mode", kGumbelModeNames[size_t(o.gumbel_mode())]},
          {"balance_loss", o.balance_loss()},
          {"importance_loss", o.importance_loss()},
          {"z_loss", o.z_loss()}};
}

ModelSpec read_model(SpecReader r);

const std::vector<std::string> kScheduleNames = {"constant", "linear", "cosine"};

DistillOptions read_distill(SpecReader r) {
  DistillOptions d;
  for (auto& t : r.object_list("teachers", 1, 8)) {
    TeacherOptions teacher;
    int sources = 0;
    if (t.has("run")) {
      t.text("run", teacher.ref);
      teacher.source = TeacherSource::Run;
      ++sources;
    }
    if (t.has("torchscript")) {
      t.text("torchscript", teacher.ref);
      teacher.source = TeacherSource::TorchScript;
      ++sources;
    }
    if (t.has("safetensors")) {
      t.text("safetensors", teacher.ref);
      teacher.source = TeacherSource::Safetensors;
      teacher.model = read_model(t.object("model"));
      ++sources;
    }
    t.known("run");
    t.known("torchscript");
    t.known("safetensors");
    if (sources != 1 || teacher.ref.empty()) {
      throw InputError(t.path() + ": give exactly one of \"run\" (a finished run's name or id), "
                       "\"torchscript\" (a file) or \"safetensors\" (a file, with \"model\")");
    }
    t.number("weight", teacher.weight, 1e-6, 1e6);
    t.finish();
    d.teachers.push_back(teacher);
  }
  if (d.teachers.empty()) throw InputError(r.path() + ".teachers: needs at least one teacher");
  r.number("temperature", d.temperature, 0.05, 100.0);
  d.temperature_end = d.temperature;
  r.number("temperature_end", d.temperature_end, 0.05, 100.0);
  d.temperature_schedule = read_enum(r, "temperature_schedule", d.temperature_schedule,
                                     kScheduleNames);
  r.number("alpha", d.alpha, 0.0, 1.0);
  d.alpha_end = d.alpha;
  r.number("alpha_end", d.alpha_end, 0.0, 1.0);
  d.alpha_schedule = read_enum(r, "alpha_schedule", d.alpha_schedule, kScheduleNames);
  r.boolean("t_squared", d.t_squared);
  r.number("logit_mse", d.logit_mse, 0.0, 100.0);
  r.boolean("cache_teacher_logits", d.cache_teacher_logits);
  for (auto& h : r.object_list("hints", 0, 8)) {
    HintOptions hint;
    h.text("student", hint.student_layer);
    h.text("teacher", hint.teacher_layer);
    h.integer("teacher_index", hint.teacher_index, 0, int64_t(d.teachers.size()) - 1);
    h.number("weight", hint.weight, 0.0, 1e6);
    h.finish();
    d.hints.push_back(hint);
  }
  r.finish();
  return d;
}

nlohmann::json hints_to_json(const std::vector<HintOptions>& hints) {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& h : hints) {
    list.push_back({{"student", h.student_layer},
                    {"teacher", h.teacher_layer},
                    {"teacher_index", h.teacher_index},
                    {"weight", h.weight}});
  }
  return list;
}

nlohmann::json distill_to_json(const DistillOptions& d) {
  nlohmann::json teachers = nlohmann::json::array();
  for (const auto& t : d.teachers) {
    nlohmann::json j;
    const char* key = t.source == TeacherSource::Run           ? "run"
                      : t.source == TeacherSource::TorchScript ? "torchscript"
                                                               : "safetensors";
    j[key] = t.ref;
    if (t.source == TeacherSource::Safetensors) j["model"] = model_to_json(t.model);
    j["weight"] = t.weight;
    teachers.push_back(j);
  }
  return {{"teachers", teachers},
          {"temperature", d.temperature},
          {"temperature_end", d.temperature_end},
          {"temperature_schedule", kScheduleNames[size_t(d.temperature_schedule)]},
          {"alpha", d.alpha},
          {"alpha_end", d.alpha_end},
          {"alpha_schedule", kScheduleNames[size_t(d.alpha_schedule)]},
          {"t_squared", d.t_squared},
          {"logit_mse", d.logit_mse},
          {"cache_teacher_logits", d.cache_teacher_logits},
          {"hints", hints_to_json(d.hints)}};
}

ModelSpec read_model(SpecReader r) {
  ModelSpec m;
  m.kind = read_enum(r, "kind", m.kind, kModelNames);
  if (m.kind == ModelKind::Mlp) {
    auto& o = m.mlp;
    r.integer_list("hidden", o.hidden(), 1, kMaxWidth, 0, kMaxLayers);
    o.activation(read_enum(r, "activation", o.activation(), kActivationNames));
    r.number("dropout", o.dropout(), 0.0, 0.95);
  } else if (m.kind == ModelKind::MoeMlp) {
    auto& o = m.moe_mlp;
    r.integer("width", o.width(), 1, kMaxWidth);
    r.integer("blocks", o.blocks(), 1, kMaxLayers);
    o.activation(read_enum(r, "activation", o.activation(), kActivationNames));
    r.number("dropout", o.dropout(), 0.0, 0.95);
    o.moe(read_moe(r.object("moe")));
    r.text("upcycle_from", m.upcycle_from);
    r.number("upcycle_noise", m.upcycle_noise, 0.0, 1.0);
  } else if (m.kind == ModelKind::Vit) {
    auto& o = m.vit;
    r.integer("patch_size", o.patch_size(), 1, 64);
    r.integer("dim", o.dim(), 4, 4096);
    r.integer("depth", o.depth(), 1, 24);
    r.integer("heads", o.heads(), 1, 64);
    if (o.dim() % o.heads() != 0) {
      throw InputError(r.path() + ".heads: must divide dim (" + std::to_string(o.dim()) +
                       "), got " + std::to_string(o.heads()));
    }
    r.integer("mlp_ratio", o.mlp_ratio(), 1, 16);
    r.number("dropout", o.dropout(), 0.0, 0.95);
  } else {
    auto& o = m.cnn;
    r.integer_list("channels", o.channels(), 1, 1024, 1, 4);
    r.integer("kernel_size", o.kernel_size(), 1, 11);
    if (o.kernel_size() % 2 == 0) {
      throw InputError(r.path() + ".kernel_size: must be odd (same padding), got " +
                       std::to_string(o.kernel_size()));
    }
    r.integer("fc_hidden", o.fc_hidden(), 1, kMaxWidth);
    o.activation(read_enum(r, "activation", o.activation(), kActivationNames));
    r.number("dropout", o.dropout(), 0.0, 0.95);
    r.integer("moe_blocks", o.moe_blocks(), 0, 4);
    o.moe(read_moe(r.object("moe")));
  }
  r.finish(std::string("model.kind \"") + kModelNames[size_t(m.kind)] + "\"");
  return m;
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

}  // namespace

const char* dataset_name(DatasetKind kind) { return kDatasetNames[size_t(kind)].c_str(); }
const char* model_name(ModelKind kind) { return kModelNames[size_t(kind)].c_str(); }

bool is_image_dataset(DatasetKind kind) {
  return kind == DatasetKind::FashionMnist || kind == DatasetKind::Mnist ||
         kind == DatasetKind::Idx;
}

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
  if (r.has("distill")) {
    spec.has_distill = true;
    spec.distill = read_distill(r.object("distill"));
  }
  r.finish();
  bool image_model = spec.model.kind == ModelKind::Cnn || spec.model.kind == ModelKind::Vit;
  if (image_model && !is_image_dataset(spec.data.dataset)) {
    throw InputError(std::string("model.kind: ") + model_name(spec.model.kind) +
                     " needs image data, but data.dataset is " + dataset_name(spec.data.dataset) +
                     "; use mlp for 2-D sets");
  }
  return spec;
}

nlohmann::json spec_to_json(const ExperimentSpec& spec) {
  nlohmann::json j;
  j["schema"] = spec.schema;
  j["name"] = spec.name;
  j["seed"] = spec.seed;
  const auto& d = spec.data;
  j["data"] = {{"dataset", dataset_name(d.dataset)},
               {"path", d.path},
               {"validation_share", d.validation_share},
               {"batch_size", d.batch_size},
               {"train_subset", d.train_subset},
               {"test_subset", d.test_subset}};
  if (!is_image_dataset(d.dataset)) {
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
  if (spec.has_distill) j["distill"] = distill_to_json(spec.distill);
  return j;
}

nlohmann::json model_to_json(const ModelSpec& m) {
  nlohmann::json j;
  if (m.kind == ModelKind::Mlp) {
    j = {{"kind", "mlp"},
                  {"hidden", m.mlp.hidden()},
                  {"activation", kActivationNames[size_t(m.mlp.activation())]},
                  {"dropout", m.mlp.dropout()}};
  } else if (m.kind == ModelKind::MoeMlp) {
    const auto& o = m.moe_mlp;
    j = {{"kind", "moe-mlp"},
                  {"width", o.width()},
                  {"blocks", o.blocks()},
                  {"activation", kActivationNames[size_t(o.activation())]},
                  {"dropout", o.dropout()},
                  {"moe", moe_to_json(o.moe())}};
    if (!m.upcycle_from.empty()) {
      j["upcycle_from"] = m.upcycle_from;
      j["upcycle_noise"] = m.upcycle_noise;
    }
  } else if (m.kind == ModelKind::Vit) {
    const auto& o = m.vit;
    j = {{"kind", "vit"},           {"patch_size", o.patch_size()}, {"dim", o.dim()},
         {"depth", o.depth()},      {"heads", o.heads()},           {"mlp_ratio", o.mlp_ratio()},
         {"dropout", o.dropout()}};
  } else {
    j = {{"kind", "cnn"},
                  {"channels", m.cnn.channels()},
                  {"kernel_size", m.cnn.kernel_size()},
                  {"fc_hidden", m.cnn.fc_hidden()},
                  {"activation", kActivationNames[size_t(m.cnn.activation())]},
                  {"dropout", m.cnn.dropout()},
                  {"moe_blocks", m.cnn.moe_blocks()}};
    if (m.cnn.moe_blocks() > 0) j["moe"] = moe_to_json(m.cnn.moe());
  }
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
    throw InputError(source + ": not valid JSON: " +
                     (pos == std::string::npos ? what : what.substr(pos)));
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
