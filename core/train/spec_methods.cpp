#include "train/spec_methods.h"

#include <memory>

#include "distill/distill_method.h"
#include "prune/prune_method.h"
#include "train/distill_session.h"

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

void add_spec_methods(Trainer& trainer, ExperimentSpec& spec, const std::string& store_path,
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
}

std::string run_kind(const Trainer& trainer) {
  std::string kind;
  for (const auto& method : trainer.methods()) {
    kind += (kind.empty() ? "" : "+") + std::string(method->key());
  }
  return kind.empty() ? "train" : kind;
}

}  // namespace slimlab
