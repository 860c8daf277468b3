// Checkpoints: model, optimiser, step, random generator, the open log window (and distillation
// hint projections, pruning masks).
#include <ATen/CPUGeneratorImpl.h>

#include <sstream>

#include "models/model_factory.h"
#include "prune/pruner.h"
#include "train/trainer_state.h"
#include "util/input_error.h"

namespace slimlab {
namespace {

// Numbers read from a store are checked where they are read: a damaged checkpoint is named
// here, not found later as a "diverged" run or a teacher giving NaN.
void check_finite(torch::nn::Module& module) {
  for (const auto& group : {module.named_parameters(), module.named_buffers()}) {
    for (const auto& item : group) {
      if (!item.value().is_floating_point()) continue;
      const auto bad = item.value().numel() - torch::isfinite(item.value()).sum().item<int64_t>();
      if (bad > 0) {
        throw InputError("checkpoint: tensor \"" + item.key() + "\" holds " + std::to_string(bad) +
                         " non-finite value(s) (NaN or Inf); the stored weights are damaged");
      }
    }
  }
}

}  // namespace

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
  check_finite(module);
}

void LogWindow::save(torch::serialize::OutputArchive& archive) const {
  archive.write("sums", torch::tensor({loss, aux, correct, examples}, torch::kFloat64));
  c10::List<std::string> keys;
  std::vector<double> values;
  for (const auto& [key, value] : extra) {
    keys.push_back(key);
    values.push_back(value);
  }
  archive.write("extra_keys", c10::IValue(keys));
  archive.write("extra_values", torch::tensor(values, torch::kFloat64));
}

void LogWindow::load(torch::serialize::InputArchive& archive) {
  clear();
  torch::Tensor sums, values;
  if (!archive.try_read("sums", sums)) return;
  c10::IValue keys;
  archive.read("extra_keys", keys);
  archive.read("extra_values", values);
  if (sums.scalar_type() != torch::kFloat64 || sums.numel() != 4 || !keys.isList() ||
      values.scalar_type() != torch::kFloat64 ||
      values.numel() != int64_t(keys.toListRef().size())) {
    throw std::runtime_error("checkpoint's log window is damaged");
  }
  auto s = sums.accessor<double, 1>();
  loss = s[0];
  aux = s[1];
  correct = s[2];
  examples = s[3];
  auto key_list = keys.toList();
  for (size_t i = 0; i < key_list.size(); ++i) {
    if (!key_list.get(i).isString()) throw std::runtime_error("checkpoint's log window is damaged");
    extra[key_list.get(i).toStringRef()] = values[int64_t(i)].item<double>();
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
  for (const auto& method : state_->methods) method->save(archive);
  save_expert_masks(*state_->module, archive);
  torch::serialize::OutputArchive window;
  state_->window.save(window);
  for (size_t i = 0; i < state_->router_windows.size(); ++i) {
    torch::serialize::OutputArchive router;
    state_->router_windows[i].save(router);
    window.write("router" + std::to_string(i), router);
  }
  archive.write("log_window", window);
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
    for (auto& method : state_->methods) method->load(archive);
    torch::serialize::InputArchive window;
    state_->window.clear();
    for (auto& router : state_->router_windows) router.clear();
    if (archive.try_read("log_window", window)) {
      state_->window.load(window);
      for (size_t i = 0; i < state_->router_windows.size(); ++i) {
        torch::serialize::InputArchive router;
        if (window.try_read("router" + std::to_string(i), router)) {
          state_->router_windows[i].load(router);
        }
      }
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
  check_finite(*state_->module);
}

}  // namespace slimlab
