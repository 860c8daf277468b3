#pragma once

#include <chrono>
#include <cstdio>

#include "train/run_session.h"

namespace slimlab::cli {

/// Shows a run's progress on stderr: a redrawn bar on a terminal (at most 10 redraws a second),
/// a line per ~10% of the run otherwise (logs of batch jobs stay short).
///   [##########----------] step 1200/2110  loss 0.412  acc 85.2%  val 86.1%  312 steps/s  ETA 0:03
class ProgressBar : public RunObserver {
 public:
  explicit ProgressBar(bool enabled);
  /// One line per preparation phase ("preparing: loading the teacher ..."), on a terminal, so
  /// a student's minute before its first step is not silent.
  void on_phase(const std::string& what) override;
  void on_start(const RunStartInfo& info) override;
  void on_step(const StepRecord& r) override;
  void on_eval(const EvalRecord& r) override;
  void on_event(const EventRecord& r) override;
  /// Ends the bar's line.
  void finish();

 private:
  void draw(bool force);

  bool enabled_;
  bool terminal_;
  StepRecord last_;
  double val_accuracy_ = -1;
  int64_t start_step_ = 0;
  int64_t total_steps_ = 0;
  int last_decile_ = -1;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point last_draw_{};
};

/// "1:05" or "1:02:03".
std::string format_duration(double seconds);

}  // namespace slimlab::cli
