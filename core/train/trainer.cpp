#include "train/trainer.h"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

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
const std::vector<std::unique_ptr<CompressionMethod>>& Trainer::methods() const {
  return state_->methods;
}

void Trainer::add_method(std::unique_ptr<CompressionMethod> method) {
  auto& s = *state_;
  method->prepare({*s.module, *s.optimizer, s.data, s.total_steps});
  const size_t first = s.feature_layers.size();
  for (auto& layer : method->feature_layers()) s.feature_layers.push_back(std::move(layer));
  s.feature_ranges.emplace_back(first, s.feature_layers.size());
  s.methods.push_back(std::move(method));
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
    for (auto& method : s.methods) {
      for (auto& event : method->before_step(s.step)) {
        observer.on_event({s.step, std::move(event.kind), std::move(event.payload_json)});
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
    auto logits = s.feature_layers.empty()
                      ? s.model.forward(x)
                      : forward_with_features(*s.module, x, features, s.feature_layers);
    const StepBatch step_batch{s.step, s.total_steps, x, y, index};
    // Each method sees the outputs of its own feature layers only.
    std::vector<std::vector<torch::Tensor>> own_features(s.methods.size());
    std::vector<StepOutputs> outputs;
    outputs.reserve(s.methods.size());
    for (size_t i = 0; i < s.methods.size(); ++i) {
      const auto [from, to] = s.feature_ranges[i];
      own_features[i].assign(features.begin() + from, features.begin() + to);
      outputs.push_back({logits, own_features[i]});
    }
    for (size_t i = 0; i < s.methods.size(); ++i) {
      s.methods[i]->after_forward(step_batch, outputs[i]);
    }
    auto task_loss = torch::cross_entropy_loss(logits, y);
    double loss_value = task_loss.item<double>();
    auto loss = task_loss;
    LossTerms terms;  // Named parts of the loss, for a diagnosis; the methods' log sums.
    terms.window = &s.window.extra;
    terms.examples = double(end - begin);
    for (size_t i = 0; i < s.methods.size(); ++i) {
      loss = s.methods[i]->loss(step_batch, outputs[i], task_loss, loss, terms);
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
      terms.named.emplace_back("MoE auxiliary loss", aux_value);
      result.status = RunStatus::Diverged;
      result.error = s.divergence_reason(x, loss_value, total_value, terms.named, chance);
      observer.on_event(
          {s.step + 1, event_kind::kDiverged, nlohmann::json{{"reason", result.error}}.dump()});
      break;
    }
    loss.backward();
    for (auto& method : s.methods) method->after_backward();
    s.optimizer->step();
    for (auto& method : s.methods) method->after_optimizer_step();
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
      for (const auto& method : s.methods) {
        for (auto& metric : method->log_metrics(s.step)) r.extra.push_back(std::move(metric));
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
        s.evaluate_methods(e, s.data.validation, "validation", /*final=*/false);
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
  span.cost_is_fixed = std::all_of(s.methods.begin(), s.methods.end(),
                                   [](const auto& m) { return m->step_cost_is_fixed(); });
  span.same_work_as_measured = s.methods.empty();  // The measurement trains the bare model.
  const auto stale = recheck_runtime_choice(s.runtime, span);
  if (!stale.empty()) observer.on_event({s.step, event_kind::kRuntimeStale, stale});
  if (result.status == RunStatus::Finished) {
    auto e = s.evaluate(s.data.test);
    s.evaluate_methods(e, s.data.test, "test", /*final=*/true);
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
