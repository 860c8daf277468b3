#pragma once

// Threads and gemm chosen by measurement on the machine at hand. A fixed rule (LibTorch threads
// = cores, one BLAS thread, oneDNN's gemm) was the fastest on the Xeon where it was made; on a
// 2-core AMD EPYC the presets trained 25-45% faster with one thread, and OpenBLAS's sgemm beat
// oneDNN's there at 1024^3. So a run measures its own model on a few steps, once per machine.

#include <vector>

#include "data/dataset.h"
#include "spec/experiment_spec.h"
#include "train/runtime.h"

namespace slimlab {

/// Seconds the timed rounds aim to take, after every candidate's warm-up; they always run at
/// least kMinRounds rounds, and each switch of candidate adds 0.15 s of untimed steps, so with
/// N candidates measuring takes at least 0.15 s x N x (1 + kMinRounds): 1.7-5 s for the presets'
/// 4 candidates on a 2-core Xeon (docs/benchmarks.md), once per model and batch.
constexpr double kMeasureBudgetSeconds = 0.5;
constexpr int kMinRounds = 3;
constexpr int kMaxRounds = 9;

/// Chooses the LibTorch threads, BLAS threads and gemm of a run of `spec` on `data` and sets them
/// for the whole process (set_runtime). When the spec leaves one candidate (runtime_candidates:
/// explicit threads and gemm, a resume's record, $SLIMLAB_THREADS=1 with an explicit gemm) it is
/// taken as it is (source Spec). Otherwise the choice cached for this machine, model and batch
/// is taken (Cached, free: the same choice for every run of it in this process too), or every
/// candidate is measured (measure_runtimes) and the fastest taken and cached (Measured).
/// Measuring trains a scratch copy of the model, built without drawing from the default
/// generator, whose state is put back afterwards: the run's numbers depend on the choice (the
/// kernels' summation order), never on whether it measured. Call on the run's thread, before
/// seeding; it takes generator_mutex() while it measures.
RuntimeChoice choose_runtime(const ExperimentSpec& spec, const DataSplits& data);

/// A run trains about as fast as the scratch loop timed its settings, a little slower (it also
/// gathers batches) or up to ~1.3x either way on a noisy VM (seen on a 2-core Xeon, mlp-fashion
/// at batch 512: timed 137, trained 179 steps/s). A run this much *faster* shows the measurement
/// was taken on a busier machine than the one training now (a build beside it, a throttled VM).
constexpr double kStaleSpeedup = 1.5;
/// The slower-than-measured rule below applies to models measured at this many steps/s or
/// fewer (steps of 1 ms or more), where a step's untimed work is a small share.
constexpr double kSlowerRuleMaxStepsPerSecond = 1000;

/// What a run's training was like, for recheck_runtime_choice (all of this session).
struct TrainedSpan {
  int64_t steps = 0;     ///< Optimiser steps.
  int64_t examples = 0;  ///< Training examples in them (an epoch's last batch may be short).
  /// Examples in a full batch as measured: min(batch_size, training examples).
  int64_t full_batch = 0;
  double seconds = 0;  ///< Wall time in training steps only (no evaluation, logging, checkpoints).
  /// Cores other programs kept busy beside the run, pauses left out (cpu_load.h); -1 unknown.
  double others_busy_cores = -1;
  /// False when steps get cheaper while training (pruning's structured shrinking).
  bool cost_is_fixed = true;
  /// True when a step did the work the measurement timed (the model's own forward, loss,
  /// backward and optimiser step): no compression method added work (a teacher's forward).
  bool same_work_as_measured = true;
};

/// After a run trained `span` with `choice`: when the choice was measured or cached
/// (choice.cache_key set) and the run trained at least 1 s and 20 steps, its cache entry is
/// removed (file and this process's memory, when they still hold this measurement), so the
/// next run of the model measures again, if
///  - it was measured while other programs kept >= kBusyCores of the run's share busy and this
///    run saw fewer than kQuietCores there (a build beside the measurement: two threads looked
///    slow), or
///  - the run trained more than kStaleSpeedup times as many full batches per second as the
///    measurement said its settings do (a throttled or busier machine then), when its cost per
///    step is fixed, or
///  - it trained kStaleSpeedup times slower than measured while fewer than kQuietCores of its
///    share were busy beside it, doing the measured work (same_work_as_measured), at steps of
///    1 ms or more (kSlowerRuleMaxStepsPerSecond): the machine's state changed since, and the
///    figures no longer rank the candidates.
/// Returns the event payload then, e.g. {"settings": "...", "reason": "...; the next run of
/// this model measures again", "trained_steps_per_second": 610, "measured_steps_per_second":
/// 301} or {..., "others_busy_cores_when_measured": 1.0, "others_busy_cores_during_run": 0.02};
/// else "". Never throws. Call on the run's thread after training.
std::string recheck_runtime_choice(const RuntimeChoice& choice, const TrainedSpan& span);

/// Forgets the choices this process made (choose_runtime then reads the cache files again).
/// For tests.
void forget_runtime_choices();

/// Training steps per second of `spec`'s model and optimiser on the first `batch_size` training
/// examples of `data`, for each candidate: untimed warm-up steps for 0.15 s (oneDNN JITs, OpenMP
/// starts its threads), then rounds that time each candidate in turn (alternating order; after
/// the switch untimed steps for 0.15 s, then >= 20 ms of steps a sample) until `budget_seconds`
/// have passed and at least kMinRounds rounds are done, at most kMaxRounds; the median of each
/// candidate's rounds. A candidate 2x slower than the best at warm-up is left out of the rounds
/// (its warm-up speed is reported). Leaves the last candidate set for the process.
std::vector<RuntimeChoice::Measured> measure_runtimes(const ExperimentSpec& spec,
                                                      const DataSplits& data,
                                                      const std::vector<RuntimeChoice>& candidates,
                                                      double budget_seconds);

}  // namespace slimlab
