#pragma once

// How busy the machine is with other programs: a runtime choice measured while a build ran
// beside it favours one thread, and is wrong once the machine is quiet again (runtime_tuner.h).

namespace slimlab {

/// CPU time used so far, at one moment: by the CPUs this process may run on (its affinity mask;
/// each one's non-idle time from the cpuN lines of /proc/stat, counting steal time, which a
/// hypervisor gave to other guests) and by this process (getrusage: all its threads), in seconds,
/// with the wall clock (steady, seconds).
struct CpuTimes {
  double machine_busy_seconds = 0;
  double own_seconds = 0;
  double wall_seconds = 0;
  bool known = false;  ///< False where /proc/stat cannot be read (not Linux).
};

/// Reads CpuTimes now; cheap (one small file read). Any thread.
CpuTimes cpu_times_now();

/// Cores of this process's CPUs kept busy on average by everything but this process between
/// `before` and `after`, e.g. 1.0 for a build on one of two cores; never below 0. `excluded`
/// holds spans to leave out (sums of after - before of each, e.g. a paused run's waits; see
/// add_span). -1 when unknown (either reading unknown, or under 0.1 s apart once the excluded
/// spans are left out: /proc/stat counts in 10 ms ticks).
double others_busy_cores(const CpuTimes& before, const CpuTimes& after,
                         const CpuTimes& excluded = CpuTimes{});

/// Adds the span from `from` to `to` to `total` (each field's difference).
void add_span(CpuTimes& total, const CpuTimes& from, const CpuTimes& to);

}  // namespace slimlab
