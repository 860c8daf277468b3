#include "train/distill_session.h"

#include <cmath>
#include <filesystem>
#include <limits>
#include <nlohmann/json.hpp>

#include "models/model_factory.h"
#include "train/stored_model.h"
#include "train/trainer.h"
#include "util/input_error.h"

namespace slimlab {
namespace {

std::unique_ptr<Teacher> teacher_from_run(const std::string& field, std::string& reference,
                                          const DataSplits& data, const std::string& store_path) {
  auto stored = load_finished_run(store_path, reference, field);
  reference = stored.run.uuid;
  auto model = make_stored_model(stored, data.sample_shape, data.classes);
  try {
    load_model_weights(*model.ptr(), stored.checkpoint);
  } catch (const InputError& e) {  // Its weights are damaged (NaN/Inf): not the data's fault.
    throw InputError(field + ": run " + std::to_string(stored.run.id) + ": " + e.what());
  } catch (const std::exception& e) {
    throw InputError(field + ": run " + std::to_string(stored.run.id) +
                     " was trained on other data: " + e.what());
  }
  return teacher_from_module(model,
                             "run " + std::to_string(stored.run.id) + " (" + stored.run.name + ")");
}

}  // namespace

std::unique_ptr<Distiller> make_distiller(ExperimentSpec& spec, const DataSplits& data,
                                          const std::string& store_path) {
  std::vector<std::unique_ptr<Teacher>> teachers;
  for (size_t i = 0; i < spec.distill.teachers.size(); ++i) {
    auto& t = spec.distill.teachers[i];
    const std::string field = "distill.teachers[" + std::to_string(i) + "]";
    switch (t.source) {
      case TeacherSource::Run:
        teachers.push_back(teacher_from_run(field + ".run", t.ref, data, store_path));
        break;
      case TeacherSource::TorchScript:
        teachers.push_back(teacher_from_torchscript(t.ref, data.sample_shape, data.classes));
        break;
      case TeacherSource::Safetensors:
        teachers.push_back(
            teacher_from_safetensors(t.ref, t.model, data.sample_shape, data.classes));
        break;
    }
  }
  return std::make_unique<Distiller>(spec.distill, std::move(teachers));
}

ExperimentSpec baseline_spec(const ExperimentSpec& spec) {
  ExperimentSpec alone = spec;
  alone.has_distill = false;
  alone.distill = DistillOptions{};
  alone.has_prune = false;
  alone.prune = PruneOptions{};
  alone.name = spec.name + (spec.has_distill ? "-alone" : "-dense");
  return alone;
}

std::optional<RunRow> find_baseline(RunStore& store, const ExperimentSpec& spec) {
  auto wanted = spec_to_json(baseline_spec(spec));
  // The name, and how the CPU was used, do not make another experiment.
  wanted.erase("name");
  wanted.erase("runtime");
  std::optional<RunRow> found;
  for (const auto& run : store.list_runs()) {
    if (run.status != "finished" || run.kind != "train") continue;
    auto j = nlohmann::json::parse(run.spec_json, nullptr, false);
    if (!j.is_object()) continue;
    j.erase("name");
    j.erase("runtime");
    if (j == wanted) found = run;  // The newest match wins.
  }
  return found;
}

double gap_closed(double student_kd, double student_alone, double teacher) {
  double gap = teacher - student_alone;
  if (gap <= 0) return std::numeric_limits<double>::quiet_NaN();
  return (student_kd - student_alone) / gap;
}

}  // namespace slimlab
