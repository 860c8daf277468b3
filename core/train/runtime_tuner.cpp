#include "train/runtime_tuner.h"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>

#include "measure/cpu_load.h"
#include "models/model_factory.h"
#include "train/runtime_cache.h"
#include "train/trainer_state.h"

namespace slimlab {
namespace {

using Clock = std::chrono::steady_clock;

// How long one timed sample of a candidate lasts, at least (whole steps, at most 64).
constexpr double kSampleSeconds = 0.02;
// How long a candidate trains untimed after a switch, while the last one's idle threads stop
// spinning (OpenBLAS's workers spin ~0.1 s after a call, OpenMP's a little).
constexpr double kSettleSeconds = 0.15;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  const size_t n = values.size();
  return n == 0 ? 0.0 : n % 2 ? values[n / 2] : 0.5 * (values[n / 2 - 1] + values[n / 2]);
}

// Choices made in this process, by cache key: every run of one model here trains alike, even
// when the cache file cannot be written.
std::mutex g_memo_mutex;
std::map<std::string, RuntimeChoice> g_memo;

// Puts the default generator's state back when it goes (the caller holds generator_mutex()).
class GeneratorRestorer {
 public:
  GeneratorRestorer() : generator_(at::detail::getDefaultCPUGenerator()) {
    std::lock_guard<std::mutex> lock(generator_.mutex());
    state_ = generator_.get_state();
  }
  ~GeneratorRestorer() {
    std::lock_guard<std::mutex> lock(generator_.mutex());
    generator_.set_state(state_);
  }
  GeneratorRestorer(const GeneratorRestorer&) = delete;
  GeneratorRestorer& operator=(const GeneratorRestorer&) = delete;

 private:
  at::Generator generator_;
  torch::Tensor state_;
};

std::string input_text(const DataSplits& data) {
  std::string text;
  for (int64_t d : data.sample_shape) text += std::to_string(d) + "x";
  return text + std::to_string(data.classes) + " classes";
}

}  // namespace

std::vector<RuntimeChoice::Measured> measure_runtimes(const ExperimentSpec& spec,
                                                      const DataSplits& data,
                                                      const std::vector<RuntimeChoice>& candidates,
                                                      double budget_seconds) {
  auto model = make_model_to_load(spec.model, data.sample_shape, data.classes);
  model.ptr()->train();
  auto optimizer = make_optimizer(spec.optimizer, model.ptr()->parameters());
  const int64_t batch = std::min<int64_t>(spec.data.batch_size, data.train.size());
  const auto x = data.train.x.slice(0, 0, batch);
  const auto y = data.train.y.slice(0, 0, batch);
  auto step = [&] {
    optimizer->zero_grad();
    auto loss = torch::cross_entropy_loss(model.forward(x), y);
    loss.backward();
    optimizer->step();
  };

  // Dropout and noisy gates draw from the default generator: hold it, and put it back after,
  // also when a step throws.
  std::lock_guard<std::mutex> drawing(generator_mutex());
  GeneratorRestorer restore_generator;

  // After a switch of candidate, untimed steps until the previous candidate's idle threads
  // have stopped spinning: a run training on pays neither. Timed right after a candidate with
  // two BLAS threads, a two-thread candidate shared its cores with their spinning, and one
  // thread looked best on mlp-fashion where two trained 20% faster. Waiting idle instead (a
  // sleep) let this candidate's own threads fall asleep, and its first timed steps paid for
  // waking them: at batch 512 (two steps a sample) two threads were timed below one.
  auto settle = [&] {
    const auto started = Clock::now();
    do step();
    while (seconds_since(started) < kSettleSeconds);
  };

  const size_t n = candidates.size();
  std::vector<RuntimeChoice> settings = candidates;
  std::vector<double> warm(n, 0.0);
  std::vector<int> steps_per_sample(n, 1);
  for (size_t i = 0; i < n; ++i) {
    set_runtime(settings[i]);
    settle();  // Warm-up too: JIT kernels, thread pools.
    // Then at least 5 ms of steps (at most 64): one step of a small MLP takes ~0.1 ms, and a
    // single timing that short is at the scheduler's mercy.
    auto started = Clock::now();
    int steps = 0;
    do {
      step();
      ++steps;
    } while (steps < 64 && seconds_since(started) < 0.005);
    const double seconds = std::max(seconds_since(started), 1e-6) / steps;
    warm[i] = 1.0 / seconds;
    steps_per_sample[i] = int(std::clamp(std::ceil(kSampleSeconds / seconds), 1.0, 64.0));
  }
  const double best_warm = *std::max_element(warm.begin(), warm.end());
  std::vector<std::vector<double>> samples(n);
  const auto rounds_started = Clock::now();
  for (int round = 0; round < kMaxRounds; ++round) {
    for (size_t k = 0; k < n; ++k) {
      const size_t i = round % 2 == 0 ? k : n - 1 - k;  // Alternating order: drift cancels.
      if (warm[i] * 2 < best_warm) continue;
      set_runtime(settings[i]);
      settle();
      auto started = Clock::now();
      for (int s = 0; s < steps_per_sample[i]; ++s) step();
      samples[i].push_back(double(steps_per_sample[i]) / seconds_since(started));
    }
    if (round + 1 >= kMinRounds && seconds_since(rounds_started) >= budget_seconds) break;
  }
  std::vector<RuntimeChoice::Measured> measured;
  for (size_t i = 0; i < n; ++i) {
    RuntimeChoice::Measured m;
    m.threads = settings[i].threads;
    m.blas_threads = settings[i].blas_threads;
    m.gemm = settings[i].gemm;
    m.steps_per_second = samples[i].empty() ? warm[i] : median(samples[i]);
    m.rounds = int(samples[i].size());
    measured.push_back(m);
  }
  return measured;
}

std::string recheck_runtime_choice(const RuntimeChoice& choice, const TrainedSpan& span) {
  if (choice.cache_key.empty() || span.steps < 20 || span.seconds < 1.0) return "";
  nlohmann::json event = {{"settings", choice.describe()}};
  char reason[256] = "";
  // Measured beside other work, trained alone: the multi-thread candidates were timed sharing
  // their cores, whatever the chosen one's own speed says. Load on the cores outside the run's
  // share (another trainer beside it) was expected, then and now.
  const double busy_then = busy_within_share(choice.others_busy_cores, choice.share);
  const double busy_now = busy_within_share(span.others_busy_cores, choice.share);
  if (busy_then >= kBusyCores && busy_now >= 0 && busy_now < kQuietCores) {
    std::snprintf(reason, sizeof reason,
                  "the choice was measured while other programs kept %.1f cores busy; this run "
                  "had the machine to itself (%.2f cores busy beside it)",
                  choice.others_busy_cores, span.others_busy_cores);
    event["others_busy_cores_when_measured"] = choice.others_busy_cores;
    event["others_busy_cores_during_run"] = span.others_busy_cores;
  }
  const auto timed = std::find_if(
      choice.measured.begin(), choice.measured.end(), [&](const RuntimeChoice::Measured& m) {
        return m.threads == choice.threads && m.blas_threads == choice.blas_threads &&
               m.gemm == choice.gemm && m.rounds > 0 && m.steps_per_second > 0;
      });
  // In full batches per second, as measured: an epoch's short last batch is not a faster step.
  const double trained =
      span.full_batch > 0 ? double(span.examples) / double(span.full_batch) / span.seconds : 0;
  if (reason[0] == '\0' && span.cost_is_fixed && timed != choice.measured.end() &&
      trained > kStaleSpeedup * timed->steps_per_second) {
    std::snprintf(reason, sizeof reason,
                  "this run trained %.0f steps/s, %.1fx the %.0f measured for its settings when "
                  "the choice was cached (the machine was busier or slower then)",
                  trained, trained / timed->steps_per_second, timed->steps_per_second);
    event["trained_steps_per_second"] = trained;
    event["measured_steps_per_second"] = timed->steps_per_second;
  }
  // Far slower than measured, on a quiet machine, doing the work that was measured: the
  // machine's state has changed since (seen on a 2-core EPYC VM: a CNN whose cached 2-thread
  // oneDNN figure was 63 steps/s trained at 13-18 twenty minutes later, while 2-thread BLAS
  // then ran at 50), so the figures no longer rank the candidates.
  // Only for steps of a millisecond or more: a run's steps carry work the measurement's timed
  // samples leave out (picking the batch's rows, reading the loss), which is a large share of
  // a tiny model's step and would drop a sound choice at every run.
  if (reason[0] == '\0' && span.cost_is_fixed && span.same_work_as_measured &&
      timed != choice.measured.end() && timed->steps_per_second <= kSlowerRuleMaxStepsPerSecond &&
      busy_now >= 0 && busy_now < kQuietCores &&
      trained * kStaleSpeedup < timed->steps_per_second) {
    std::snprintf(reason, sizeof reason,
                  "this run trained %.0f steps/s on a quiet machine, %.1fx slower than the %.0f "
                  "measured for its settings when the choice was cached (the machine has changed "
                  "since)",
                  trained, timed->steps_per_second / trained, timed->steps_per_second);
    event["trained_steps_per_second"] = trained;
    event["measured_steps_per_second"] = timed->steps_per_second;
    event["others_busy_cores_during_run"] = span.others_busy_cores;
  }
  if (reason[0] == '\0') return "";
  // Drop this measurement only: another run or process may have measured anew meanwhile.
  auto same_measurement = [&](const RuntimeChoice& other) {
    return other.same_settings(choice) && other.measure_seconds == choice.measure_seconds;
  };
  {
    std::lock_guard<std::mutex> memo_lock(g_memo_mutex);
    auto it = g_memo.find(choice.cache_key);
    if (it != g_memo.end() && same_measurement(it->second)) g_memo.erase(it);
    auto cached = read_cached_runtime(choice.cache_key);
    if (cached && same_measurement(*cached)) forget_cached_runtime(choice.cache_key);
  }
  event["reason"] = std::string(reason) + "; the next run of this model measures again";
  return event.dump();
}

void forget_runtime_choices() {
  std::lock_guard<std::mutex> memo_lock(g_memo_mutex);
  g_memo.clear();
}

RuntimeChoice choose_runtime(const ExperimentSpec& spec, const DataSplits& data) {
  const int share = automatic_threads();
  auto candidates = runtime_candidates(spec.runtime, share);
  if (candidates.size() == 1) {
    auto choice = candidates.front();
    set_runtime(choice);
    return choice;
  }
  const auto key = runtime_cache_key(
      model_to_json(spec.model).dump(), input_text(data), spec.data.batch_size,
      spec.optimizer.kind == OptimizerKind::Adam ? "adam" : "sgd", spec.runtime, share);
  std::lock_guard<std::mutex> memo_lock(g_memo_mutex);
  RuntimeChoice choice;
  if (auto it = g_memo.find(key); it != g_memo.end()) {
    choice = it->second;
    choice.source = RuntimeSource::Cached;
  } else if (auto cached = read_cached_runtime(key)) {
    choice = *cached;
  } else {
    const auto started = Clock::now();
    const auto cpu_before = cpu_times_now();
    std::vector<RuntimeChoice::Measured> measured;
    try {
      measured = measure_runtimes(spec, data, candidates, kMeasureBudgetSeconds);
    } catch (const std::exception&) {
      // The model fails on its own data: let the run itself meet (and record) that error.
      measured.clear();
    }
    choice = candidates.front();  // The rule's choice, unless the measurement found better.
    if (!measured.empty()) {
      // The fastest of those timed in rounds (a candidate left out at warm-up has one timing).
      size_t best = 0;
      for (size_t i = 1; i < measured.size(); ++i) {
        if (measured[i].rounds > 0 &&
            (measured[best].rounds == 0 ||
             measured[i].steps_per_second > measured[best].steps_per_second)) {
          best = i;
        }
      }
      choice = candidates[best];
      choice.source = RuntimeSource::Measured;
      choice.measured = measured;
      choice.measure_seconds = seconds_since(started);
      choice.others_busy_cores = others_busy_cores(cpu_before, cpu_times_now());
      write_cached_runtime(key, choice);
      // Another process may have cached its measurement first: every run of the model on this
      // machine then trains alike. Without a cache to agree on, every process would measure
      // on its own and could choose differently: the rule's choice is then taken, with the
      // measurement kept for the record.
      if (auto first = read_cached_runtime(key)) {
        if (!first->same_settings(choice)) choice = *first;
      } else {
        const auto measured_record = choice;
        choice = candidates.front();
        choice.measured = measured_record.measured;
        choice.measure_seconds = measured_record.measure_seconds;
        choice.others_busy_cores = measured_record.others_busy_cores;
      }
    }
  }
  choice.cache_key = key;
  choice.share = share;
  set_runtime(choice);
  g_memo[key] = choice;
  return choice;
}

}  // namespace slimlab
