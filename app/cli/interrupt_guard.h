#pragma once

// Ctrl-C / SIGTERM during a run: the first stops it between batches (the run is kept and can be
// resumed), the second terminates.
#include <csignal>

#include "train/train_observer.h"

namespace slimlab::cli {
namespace interrupt_detail {
inline RunControl* g_control = nullptr;
extern "C" inline void on_interrupt(int signal_number) {
  if (g_control != nullptr) g_control->stop.store(true);
  std::signal(signal_number, SIG_DFL);
}
}  // namespace interrupt_detail

/// Installs the handler for the lifetime of a run.
class InterruptGuard {
 public:
  explicit InterruptGuard(RunControl& control) {
    interrupt_detail::g_control = &control;
    std::signal(SIGINT, interrupt_detail::on_interrupt);
    std::signal(SIGTERM, interrupt_detail::on_interrupt);
  }
  ~InterruptGuard() {
    std::signal(SIGINT, SIG_DFL);
    std::signal(SIGTERM, SIG_DFL);
    interrupt_detail::g_control = nullptr;
  }
};

}  // namespace slimlab::cli
