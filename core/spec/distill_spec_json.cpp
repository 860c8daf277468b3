// The "distill" object of a spec: teachers, loss recipe, schedules and hints.
#include "spec/spec_json.h"

namespace slimlab::spec_json {

namespace {

const std::vector<std::string> kScheduleNames = {"constant", "linear", "cosine"};

}  // namespace

DistillOptions read_distill(SpecReader r) {
  DistillOptions d;
  for (auto& t : r.object_list("teachers", 1, 8)) {
    TeacherOptions teacher;
    int sources = 0;
    if (t.has("run")) {
      t.run_reference("run", teacher.ref);
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
      throw InputError(t.path() +
                       ": give exactly one of \"run\" (a finished run's name or id), "
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
  d.temperature_schedule =
      read_enum(r, "temperature_schedule", d.temperature_schedule, kScheduleNames);
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

}  // namespace slimlab::spec_json
