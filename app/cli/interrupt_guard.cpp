#include "interrupt_guard.h"

#include <pthread.h>
#include <signal.h>

#include <thread>

namespace slimlab::cli {
namespace {

std::atomic<RunControl*> g_control{nullptr};
std::atomic<bool> g_stopping{false};

/// The first interrupt of a run stops it; any other ends the program by that signal.
/// Async-signal-safe (it also runs as a handler): atomics, signal(), sigprocmask, raise().
void interrupted(int signal_number) {
  RunControl* control = g_control.load();
  if (control != nullptr && !g_stopping.exchange(true)) {
    control->stop.store(true);
    return;
  }
  sigset_t just;
  sigemptyset(&just);
  sigaddset(&just, signal_number);
  std::signal(signal_number, SIG_DFL);
  pthread_sigmask(SIG_UNBLOCK, &just, nullptr);
  raise(signal_number);
}

extern "C" void on_interrupt(int signal_number) { interrupted(signal_number); }

sigset_t interrupt_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  return set;
}

}  // namespace

void start_interrupt_thread() {
  const sigset_t set = interrupt_signals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  // For threads started before main() that keep the signals open.
  std::signal(SIGINT, on_interrupt);
  std::signal(SIGTERM, on_interrupt);
  std::thread([set] {
    for (;;) {
      int signal_number = 0;
      if (sigwait(&set, &signal_number) == 0) interrupted(signal_number);
    }
  }).detach();
}

InterruptGuard::InterruptGuard(RunControl& control) {
  g_stopping.store(false);
  g_control.store(&control);
}

InterruptGuard::~InterruptGuard() { g_control.store(nullptr); }

}  // namespace slimlab::cli
