#include "progress_bar.h"

#include <unistd.h>

#include <nlohmann/json.hpp>
#include <string>

namespace slimlab::cli {

std::string format_duration(double seconds) {
  long s = long(seconds + 0.5);
  char buf[32];
  if (s >= 3600) {
    std::snprintf(buf, sizeof buf, "%ld:%02ld:%02ld", s / 3600, (s / 60) % 60, s % 60);
  } else {
    std::snprintf(buf, sizeof buf, "%ld:%02ld", s / 60, s % 60);
  }
  return buf;
}

ProgressBar::ProgressBar(bool enabled) : enabled_(enabled), terminal_(isatty(STDERR_FILENO)) {}

void ProgressBar::on_phase(const std::string& what) {
  // On a terminal only: a refused spec's error must stay the one line a log or a script reads.
  if (enabled_ && terminal_) std::fprintf(stderr, "preparing: %s\n", what.c_str());
}

void ProgressBar::on_start(const RunStartInfo& info) {
  start_step_ = info.start_step;
  total_steps_ = info.total_steps;
  if (!enabled_) return;
  std::fprintf(stderr, "run %lld: %lld parameters, %lld training examples, %lld steps%s\n",
               (long long)info.run_id, (long long)info.params, (long long)info.train_examples,
               (long long)info.total_steps,
               info.start_step > 0
                   ? (" (resuming at step " + std::to_string(info.start_step) + ")").c_str()
                   : "");
  if (!info.runtime.empty()) std::fprintf(stderr, "runtime: %s\n", info.runtime.c_str());
}

void ProgressBar::on_step(const StepRecord& r) {
  last_ = r;
  draw(false);
}

void ProgressBar::on_eval(const EvalRecord& r) {
  if (r.split == "validation") val_accuracy_ = r.accuracy;
}

void ProgressBar::on_event(const EventRecord& r) {
  if (!enabled_ || (r.kind != event_kind::kDiverged && r.kind != event_kind::kRuntimeStale)) {
    return;
  }
  if (drawn_ && terminal_) std::fputc('\n', stderr);
  drawn_ = false;
  if (r.kind == event_kind::kDiverged) {
    std::fprintf(stderr, "diverged: %s\n", r.payload_json.c_str());
    return;
  }
  const auto stale = nlohmann::json::parse(r.payload_json, nullptr, false);
  if (stale.is_object()) std::fprintf(stderr, "runtime: %s\n", stale.value("reason", "").c_str());
}

void ProgressBar::draw(bool force) {
  if (!enabled_ || total_steps_ <= 0) return;
  double fraction = double(last_.step) / double(total_steps_);
  auto now = std::chrono::steady_clock::now();
  if (terminal_) {
    if (!force && last_.step != total_steps_ && now - last_draw_ < std::chrono::milliseconds(100)) {
      return;
    }
  } else {
    int decile = int(fraction * 10);
    if (!force && decile == last_decile_) return;
    last_decile_ = decile;
  }
  last_draw_ = now;
  constexpr int kWidth = 20;
  std::string bar(size_t(fraction * kWidth + 0.5), '#');
  bar.resize(kWidth, '-');
  double rate = last_.steps_per_second;
  double eta = rate > 0 ? double(total_steps_ - last_.step) / rate : 0;
  char val[32] = "";
  if (val_accuracy_ >= 0) std::snprintf(val, sizeof val, "  val %.1f%%", 100 * val_accuracy_);
  std::fprintf(stderr, "%s[%s] step %lld/%lld  loss %.4f  acc %.1f%%%s  %.0f steps/s  ETA %s%s",
               terminal_ ? "\r" : "", bar.c_str(), (long long)last_.step, (long long)total_steps_,
               last_.loss, 100 * last_.accuracy, val, rate, format_duration(eta).c_str(),
               terminal_ ? "\033[K" : "\n");
  std::fflush(stderr);
  drawn_ = true;
}

void ProgressBar::finish() {
  if (enabled_ && drawn_ && terminal_) std::fputc('\n', stderr);
  drawn_ = false;
}

}  // namespace slimlab::cli
