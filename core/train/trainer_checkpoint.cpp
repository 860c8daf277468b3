// Checkpoints: model, optimiser, step, random generator (and distillation hint projections).
#include <ATen/CPUGeneratorImpl.h>

#include <sstream>

#include "models/model_factory.h"
#include "train/trainer_state.h"

namespace slimlab {

void load_model_weights(torch::nn::Module& module, const std::string& bytes) {
  try {
    torch::serialize::InputArchive archive;
    archive.load_from(bytes.data(), bytes.size());
    torch::serialize::InputArchive model_archive;
    archive.read("model", model_archive);
    module.load(model_archive);
    load_expert_masks(module, archive);
  } catch (const c10::Error& e) {
    throw std::runtime_error(std::string("checkpoint does not fit the model: ") +
                             e.what_without_backtrace());
  }
}

std::string Trainer::checkpoint() const {
  torch::serialize::OutputArchive archive;
  torch::serialize::OutputArchive model_archive;
  state_->module->save(model_archive);
  archive.write("model", model_archive);
  torch::serialize::OutputArchive optimizer_archive;
  state_->optimizer->save(optimizer_archive);
  archive.write("optimizer", optimizer_archive);
  archive.write("step", torch::tensor(state_->step, torch::dtype(torch::kInt64)));
  if (state_->distiller && state_->distiller->uses_features()) {
    torch::serialize::OutputArchive hints;
    state_->distiller->projections().save(hints);
    archive.write("hints", hints);
  }
  save_expert_masks(*state_->module, archive);
  if (state_->pruner) {
    torch::serialize::OutputArchive prune;
    state_->pruner->save(prune);
    archive.write("prune", prune);
  }
  auto generator = at::detail::getDefaultCPUGenerator();
  {
    std::lock_guard<std::mutex> drawing(generator_mutex());
    std::lock_guard<std::mutex> lock(generator.mutex());
    archive.write("rng", generator.get_state());
  }
  std::ostringstream out;
  archive.save_to(out);
  return out.str();
}

void Trainer::restore(const std::string& bytes) {
  torch::serialize::InputArchive archive;
  try {
    archive.load_from(bytes.data(), bytes.size());
    torch::serialize::InputArchive model_archive;
    archive.read("model", model_archive);
    state_->module->load(model_archive);
    load_expert_masks(*state_->module, archive);
    torch::serialize::InputArchive optimizer_archive;
    archive.read("optimizer", optimizer_archive);
    state_->optimizer->load(optimizer_archive);
    if (state_->distiller && state_->distiller->uses_features()) {
      torch::serialize::InputArchive hints;
      archive.read("hints", hints);
      state_->distiller->projections().load(hints);
    }
    if (state_->pruner) {
      torch::serialize::InputArchive prune;
      archive.read("prune", prune);
      state_->pruner->load(prune);
    }
    torch::Tensor step, rng;
    archive.read("step", step);
    archive.read("rng", rng);
    state_->step = step.item<int64_t>();
    auto generator = at::detail::getDefaultCPUGenerator();
    std::lock_guard<std::mutex> drawing(generator_mutex());
    std::lock_guard<std::mutex> lock(generator.mutex());
    generator.set_state(rng);
  } catch (const c10::Error& e) {
    throw std::runtime_error(std::string("checkpoint does not match this spec's model: ") +
                             e.what_without_backtrace());
  }
}

}  // namespace slimlab
