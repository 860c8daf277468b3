#include "train/trainer.h"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include <chrono>
#include <cmath>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "distill/distiller.h"
#include "measure/cpu_load.h"
#include "measure/model_cost.h"
#include "measure/system_info.h"
#include "models/features.h"
#include "models/model_factory.h"
#include "moe/moe_layer.h"
#include "moe/router_stats.h"
#include "train/runtime.h"
#include "train/runtime_tuner.h"
#include "train/trainer_state.h"
#include "util/input_error.h"

namespace slimlab {
namespace {

using Clock = std::chrono::steady_clock;

/// Refuses, before anything is allocated, a model whose training state alone (weights,
/// gradients and the optimiser's moments) would not fit in the memory available now.
void check_fits_in_memory(const ExperimentSpec& spec, const DataSplits& data) {
  const auto cost = model_cost(spec.model, data.sample_shape, data.classes);
  // float32 weights and gradients, plus Adam's two moments or SGD's momentum buffer.
  const int64_t copies = spec.optimizer.kind == OptimizerKind::Adam ? 4 : 3;
  const double needed = double(cost.params) * 4.0 * double(copies);
  const double available = double(available_memory_bytes());
  if (available > 0 && needed > 0.8 * available) {
    char message[300];
    std::snprintf(message, sizeof message,
                  "model: %.3g parameters need about %.1f GB to train (weights, gradients and "
                  "the optimiser's %d state copies, float32) but %.1f GB of memory is available; "
                  "make the model smaller",
                  double(cost.params), needed / 1e9, int(copies - 2), available / 1e9);
    throw InputError(message);
  }
}

}  // namespace

std::unique_ptr<torch::optim::Optimizer> make_optimizer(const OptimizerSpec& spec,
                                                        std::vector<torch::Tensor> params) {
  if (spec.kind == OptimizerKind::Adam) {
    return std::make_unique<torch::optim::Adam>(
        params, torch::optim::AdamOptions(spec.lr).weight_decay(spec.weight_decay));
  }
  return std::make_unique<torch::optim::SGD>(params, torch::optim::SGDOptions(spec.lr)
                                                         .momentum(spec.momentum)
                                                         .nesterov(spec.nesterov)
                                                         .weight_decay(spec.weight_decay));
}

Trainer::Trainer(const ExperimentSpec& spec, DataSplits data) : state_(std::make_unique<State>()) {
  auto& s = *state_;
  s.spec = spec;
  s.data = std::move(data);
  check_fits_in_memory(spec, s.data);
  s.runtime = choose_runtime(spec, s.data);
  // Weights, dropout masks and anything else drawn from the default generator follow the seed.
  std::unique_lock<std::mutex> drawing(generator_mutex());
  torch::manual_seed(uint64_t(spec.seed));
  s.model = make_model(spec.model, s.data.sample_shape, s.data.classes);
  drawing.unlock();
  s.module = s.model.ptr();
  s.optimizer = make_optimizer(spec.optimizer, s.module->parameters());
  s.moe_layers = find_moe_layers(*s.module);
  for (const auto& layer : s.moe_layers) s.router_windows.emplace_back(layer->options.experts());
  int64_t n = s.data.train.size();
  s.steps_per_epoch = (n + spec.data.batch_size - 1) / spec.data.batch_size;
  s.total_steps =
      spec.schedule.steps > 0 ? spec.schedule.steps : spec.schedule.epochs * s.steps_per_epoch;
  if (spec.has_prune) {
    s.pruner =
        std::make_unique<Pruner>(spec.prune, *s.module, spec.model, spec.seed, s.total_steps);
  }
}

Trainer::~Trainer() = default;

int64_t Trainer::step() const { return state_->step; }
int64_t Trainer::total_steps() const { return state_->total_steps; }
int64_t Trainer::steps_per_epoch() const { return state_->steps_per_epoch; }
const RuntimeChoice& Trainer::runtime() const { return state_->runtime; }
int64_t Trainer::parameter_count() const { return count_parameters(*state_->module); }
const DataSplits& Trainer::data() const { return state_->data; }
torch::nn::Module& Trainer::module() { return *state_->module; }
torch::nn::AnyModule& Trainer::model() { return state_->model; }
Distiller* Trainer::distiller() { return state_->distiller.get(); }
Pruner* Trainer::pruner() { return state_->pruner.get(); }

void Trainer::set_distiller(std::unique_ptr<Distiller> distiller) {
  auto& s = *state_;
  distiller->prepare(s.data, *s.module);
  auto hint_params = distiller->projections().parameters();
  if (!hint_params.empty()) {
    // The projections learn with the student, under the same optimiser settings.
    s.optimizer->add_param_group(torch::optim::OptimizerParamGroup(hint_params));
  }
  s.distiller = std::move(distiller);
}

std::pair<double, double> Trainer::evaluate(const TensorDataset& split) {
  auto e = state_->evaluate(split);
  return {e.loss, e.accuracy};
}

TrainResult Trainer::run(TrainObserver& observer, const RunControl& control) {
  auto& s = *state_;
  const auto& schedule = s.spec.schedule;
  const int64_t batch = s.spec.data.batch_size;
  const int64_t n = s.data.train.size();
  const int64_t eval_every =
      schedule.eval_interval_steps > 0 ? schedule.eval_interval_steps : s.steps_per_epoch;
  const int64_t checkpoint_every = schedule.checkpoint_interval_steps > 0
                                       ? schedule.checkpoint_interval_steps
                                       : s.steps_per_epoch;

  TrainResult result;
  result.params = parameter_count();
  result.runtime = s.runtime;
  s.module->train();

  std::vector<int64_t> order;
  int64_t order_epoch = -1;
  auto& window = s.window;  // Restored with a checkpoint: a resumed run goes on with its sums.
  int64_t session_steps = 0;
  int64_t session_examples = 0;
  Clock::duration train_time{0};
  const auto cpu_before = cpu_times_now();  // Was the machine quiet? (recheck_runtime_choice)
  CpuTimes paused;                          // Spans spent waiting paused, left out of that.

  while (s.step < s.total_steps) {
    if (control.pause.load(std::memory_order_relaxed)) {
      const auto pause_started = cpu_times_now();
      while (control.pause.load(std::memory_order_relaxed) &&
             !control.stop.load(std::memory_order_relaxed)) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
      add_span(paused, pause_started, cpu_times_now());
    }
    if (control.stop.load(std::memory_order_relaxed)) {
      result.status = RunStatus::Cancelled;
      break;
    }
    // Held for the step: dropout, noisy gates and random pruning draw from the generator.
    std::unique_lock<std::mutex> drawing(generator_mutex());
    auto started = Clock::now();
    if (s.pruner) {
      s.pruner->at_step_start(s.step);
      if (s.pruner->is_prune_step(s.step)) {
        observer.on_event({s.step, "prune", s.pruner->prune(s.step, s.optimizer.get())});
      }
    }
    int64_t epoch = s.step / s.steps_per_epoch;
    int64_t batch_index = s.step % s.steps_per_epoch;
    if (epoch != order_epoch) {
      order = epoch_permutation(n, s.spec.seed, epoch);
      order_epoch = epoch;
    }
    int64_t begin = batch_index * batch;
    int64_t end = std::min(begin + batch, n);
    auto index = torch::from_blob(order.data() + begin, {end - begin}, torch::kInt64);
    auto x = s.data.train.x.index_select(0, index);
    auto y = s.data.train.y.index_select(0, index);

    s.optimizer->zero_grad();
    std::vector<torch::Tensor> features;
    auto logits = s.distiller && s.distiller->uses_features()
                      ? forward_with_features(*s.module, x, features, s.distiller->student_layers())
                      : s.model.forward(x);
    if (s.pruner) s.pruner->observe_routing();
    auto task_loss = torch::cross_entropy_loss(logits, y);
    double loss_value = task_loss.item<double>();
    auto loss = task_loss;
    std::vector<std::pair<std::string, double>> terms;  // Named parts of the loss, for a diagnosis.
    if (s.distiller) {
      auto d = s.distiller->loss(logits, task_loss, features, x, y, index,
                                 double(s.step) / double(s.total_steps));
      loss = d.total;
      terms = {{"distillation soft (KL) loss", d.soft},
               {"distillation hint loss", d.hint},
               {"distillation logit MSE", d.mse}};
      const double n = double(end - begin);
      auto& extra = s.window.extra;
      if (s.distiller->uses_features()) extra["train/kd_hint"] += d.hint * n;
      if (s.distiller->options().logit_mse > 0) extra["train/kd_mse"] += d.mse * n;
      extra["train/kd_hard"] += d.hard * n;
      extra["train/kd_soft"] += d.soft * n;
      extra["distill/temperature"] += d.temperature * n;
      extra["distill/alpha"] += d.alpha * n;
    }
    double aux_value = 0;
    if (!s.moe_layers.empty()) {
      auto aux = torch::zeros({});
      for (size_t i = 0; i < s.moe_layers.size(); ++i) {
        const auto& layer = *s.moe_layers[i];
        aux = aux + layer.last_aux.total();
        s.router_windows[i].add(layer.last_counts, layer.last_aux);
      }
      loss = loss + aux;
      aux_value = aux.item<double>();
    }
    // The whole loss must be finite too: a NaN in a KD, hint or MoE term would corrupt the weights.
    double total_value = loss.is_same(task_loss) ? loss_value : loss.item<double>();
    double chance = std::log(double(std::max<int64_t>(s.data.classes, 2)));
    if (!std::isfinite(loss_value) || !std::isfinite(total_value) ||
        loss_value > kExplodedOverChance * chance) {
      terms.emplace_back("MoE auxiliary loss", aux_value);
      result.status = RunStatus::Diverged;
      result.error = s.divergence_reason(x, loss_value, total_value, terms, chance);
      observer.on_event(
          {s.step + 1, event_kind::kDiverged, nlohmann::json{{"reason", result.error}}.dump()});
      break;
    }
    loss.backward();
    if (s.pruner) s.pruner->mask_gradients();
    s.optimizer->step();
    if (s.pruner) s.pruner->apply_masks();
    drawing.unlock();  // Evaluation draws nothing; checkpoint() takes the lock itself.
    ++s.step;
    ++session_steps;
    session_examples += end - begin;
    train_time += Clock::now() - started;
    if (session_steps == 1) result.first_step_after_start = program_uptime_seconds();

    window.loss += loss_value * double(end - begin);
    window.aux += aux_value * double(end - begin);
    window.correct += double(logits.argmax(1).eq(y).sum().item<int64_t>());
    window.examples += double(end - begin);
    double elapsed = std::chrono::duration<double>(train_time).count();
    // Log on global step multiples, so a resumed run logs at the same steps as an unbroken one.
    if (s.step % schedule.log_interval_steps == 0 || s.step == s.total_steps) {
      StepRecord r;
      r.step = s.step;
      r.total_steps = s.total_steps;
      r.epoch = epoch;
      r.loss = window.loss / window.examples;
      r.aux_loss = window.aux / window.examples;
      for (const auto& [key, sum] : window.extra) r.extra.emplace_back(key, sum / window.examples);
      if (s.pruner) {
        // The masks in force during step s.step were made at the top of it (s.step - 1 done).
        for (auto& metric : s.pruner->sparsity_metrics(s.step - 1)) r.extra.push_back(metric);
      }
      r.accuracy = window.correct / window.examples;
      r.lr = s.spec.optimizer.lr;
      r.elapsed_seconds = elapsed;
      r.steps_per_second = elapsed > 0 ? double(session_steps) / elapsed : 0.0;
      observer.on_step(r);
      for (size_t i = 0; i < s.router_windows.size(); ++i) {
        observer.on_router(s.router_windows[i].take(s.step, int64_t(i)));
      }
      window.clear();
    }
    if (s.step % eval_every == 0 || s.step == s.total_steps) {
      if (s.data.validation.size() > 0) {
        auto e = s.evaluate(s.data.validation);
        s.compare_with_teachers(e, s.data.validation, "validation", /*per_class=*/false);
        observer.on_eval(
            {s.step, "validation", e.loss, e.accuracy, s.data.validation.size(), e.extra});
        s.report_routing(observer, e, "validation");
        result.validation_loss = e.loss;
        result.validation_accuracy = e.accuracy;
      }
    }
    if (s.step % checkpoint_every == 0 || s.step == s.total_steps) {
      observer.on_checkpoint({s.step, checkpoint()});
    }
  }

  result.steps = s.step;
  result.train_seconds = std::chrono::duration<double>(train_time).count();
  result.steps_per_second =
      result.train_seconds > 0 ? double(session_steps) / result.train_seconds : 0.0;
  TrainedSpan span;
  span.steps = session_steps;
  span.examples = session_examples;
  span.full_batch = std::min(batch, n);
  span.seconds = result.train_seconds;
  span.others_busy_cores = others_busy_cores(cpu_before, cpu_times_now(), paused);
  span.cost_is_fixed = !s.pruner;  // Pruning's structured shrinking makes later steps cheaper.
  const auto stale = recheck_runtime_choice(s.runtime, span);
  if (!stale.empty()) observer.on_event({s.step, event_kind::kRuntimeStale, stale});
  if (result.status == RunStatus::Finished) {
    auto e = s.evaluate(s.data.test);
    s.compare_with_teachers(e, s.data.test, "test", /*per_class=*/true);
    observer.on_eval({s.step, "test", e.loss, e.accuracy, s.data.test.size(), e.extra});
    s.report_routing(observer, e, "test");
    result.test_loss = e.loss;
    result.test_accuracy = e.accuracy;
    result.test_extra = e.extra;
  } else if (result.status == RunStatus::Cancelled && session_steps > 0) {
    observer.on_checkpoint({s.step, checkpoint()});  // So `resume` continues from here.
  }
  return result;
}

}  // namespace slimlab
