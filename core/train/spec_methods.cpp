#include "train/spec_methods.h"

#include <nlohmann/json.hpp>

#include <memory>

#include "distill/distill_method.h"
#include "method/method_registry.h"
#include "prune/prune_method.h"
#include "train/distill_session.h"
#include "train/stored_model.h"

namespace slimlab {
namespace {

// The phase a student waits through before its first step: the teachers load and, when their
// logits are cached, their outputs on every training example (the transfer set) are computed
// once and reused every epoch.
std::string teacher_phase(const ExperimentSpec& spec, const DataSplits& data) {
  const bool one = spec.distill.teachers.size() == 1;
  const std::string teachers = one ? "the teacher" : "the teachers";
  if (!spec.distill.cache_teacher_logits) return "loading " + teachers;
  return "loading " + teachers + " and computing " + (one ? "its" : "their") +
         " outputs on the transfer set (" + std::to_string(data.train.size()) + " examples)";
}

}  // namespace

int64_t add_spec_methods(Trainer& trainer, ExperimentSpec& spec, const std::string& store_path,
                         const std::function<void(const std::string&)>& on_phase) {
  if (spec.has_distill) {
    if (on_phase) on_phase(teacher_phase(spec, trainer.data()));
    trainer.add_method(
        std::make_unique<DistillMethod>(make_distiller(spec, trainer.data(), store_path)));
  }
  if (spec.has_prune) {
    trainer.add_method(std::make_unique<PruneMethod>(std::make_unique<Pruner>(
        spec.prune, trainer.module(), spec.model, spec.seed, trainer.total_steps())));
  }
  std::vector<std::string> keys;
  if (spec.has_distill) keys.push_back("distill");
  if (spec.has_prune) keys.push_back("prune");
  for (const auto& [key, section] : spec.method_sections) keys.push_back(key);
  int64_t parent = 0;
  for (const auto* info : registered_methods()) {
    auto it = spec.method_sections.find(info->key);
    if (it == spec.method_sections.end()) continue;
    auto section = nlohmann::json::parse(it->second);
    MethodBuild build{trainer.model(),
                      spec.model,
                      trainer.data(),
                      trainer.total_steps(),
                      spec.seed,
                      keys,
                      [&](const std::string& field, const std::string& reference) {
                        auto from = load_run_weights(trainer.module(), spec.model, store_path,
                                                     reference, field);
                        parent = from.id;
                        return from;
                      },
                      on_phase};
    trainer.add_method(info->make(section, build));
    it->second = section.dump();
  }
  return parent;
}

std::string run_kind(const Trainer& trainer) {
  std::string kind;
  for (const auto& method : trainer.methods()) {
    kind += (kind.empty() ? "" : "+") + std::string(method->key());
  }
  return kind.empty() ? "train" : kind;
}

}  // namespace slimlab
