#pragma once

// Ctrl-C / SIGTERM: the first stops a run between batches (the run is kept and can be resumed),
// the second terminates; without a run, the first terminates.
//
// The signals are never handled on a thread that computes. oneDNN 2.7's JIT sgemm kernels (the
// dense layers' products) point the stack pointer into a heap buffer while they run, so a signal
// frame pushed there corrupts the heap (oneDNN issue #4845, fixed in oneDNN 3.x; Debian 12 ships
// 2.7): a Ctrl-C during a latency measurement crashed slimlab-cli 3 times in 5. So main() blocks
// them before any thread that computes exists (threads inherit the mask) and one thread of their
// own waits for them (start_interrupt_thread). Threads a library started before main() (the BLAS's
// workers, idle unless gemm is "blas") keep the signals open; they run the same code in a handler.
#include <atomic>
#include <csignal>

#include "train/train_observer.h"

namespace slimlab::cli {

/// Blocks SIGINT and SIGTERM in the calling thread and every thread it starts later, and starts
/// the thread that waits for them. Call first in main(), before anything computes.
void start_interrupt_thread();

/// While alive, the first SIGINT / SIGTERM sets `control.stop` instead of terminating.
class InterruptGuard {
 public:
  explicit InterruptGuard(RunControl& control);
  ~InterruptGuard();
  InterruptGuard(const InterruptGuard&) = delete;
  InterruptGuard& operator=(const InterruptGuard&) = delete;
};

}  // namespace slimlab::cli
