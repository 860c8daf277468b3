#include "measure/cpu_load.h"

#include <sched.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <fstream>
#include <sstream>
#include <string>

namespace slimlab {

CpuTimes cpu_times_now() {
  CpuTimes t;
  t.wall_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
  rusage usage{};
  if (getrusage(RUSAGE_SELF, &usage) == 0) {
    t.own_seconds = double(usage.ru_utime.tv_sec) + 1e-6 * double(usage.ru_utime.tv_usec) +
                    double(usage.ru_stime.tv_sec) + 1e-6 * double(usage.ru_stime.tv_usec);
  }
  // "cpuN user nice system idle iowait irq softirq steal guest guest_nice" in clock ticks, one
  // line per CPU after the machine's sum; guest time is already inside user and nice. Only the
  // CPUs this process may run on count: load on others (a cpuset, taskset) is not beside it.
  cpu_set_t allowed;
  CPU_ZERO(&allowed);
  const bool masked = sched_getaffinity(0, sizeof allowed, &allowed) == 0;
  std::ifstream stat("/proc/stat");
  std::string line;
  double busy_ticks = 0;
  bool any = false;
  while (std::getline(stat, line) && line.rfind("cpu", 0) == 0) {
    if (line.size() < 4 || !std::isdigit(static_cast<unsigned char>(line[3]))) continue;
    std::istringstream fields(line.substr(3));
    int cpu = -1;
    double user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0;
    if (!(fields >> cpu >> user >> nice >> system >> idle >> iowait >> irq >> softirq)) continue;
    fields >> steal;  // Absent on old kernels.
    if (masked && (cpu < 0 || cpu >= CPU_SETSIZE || !CPU_ISSET(cpu, &allowed))) continue;
    busy_ticks += user + nice + system + irq + softirq + steal;
    any = true;
  }
  if (!any) return t;
  const long ticks = sysconf(_SC_CLK_TCK);
  if (ticks <= 0) return t;
  t.machine_busy_seconds = busy_ticks / double(ticks);
  t.known = true;
  return t;
}

double others_busy_cores(const CpuTimes& before, const CpuTimes& after, const CpuTimes& excluded) {
  const double wall = after.wall_seconds - before.wall_seconds - excluded.wall_seconds;
  if (!before.known || !after.known || wall < 0.1) return -1;
  const double machine =
      after.machine_busy_seconds - before.machine_busy_seconds - excluded.machine_busy_seconds;
  const double own = after.own_seconds - before.own_seconds - excluded.own_seconds;
  return std::max(0.0, (machine - own) / wall);
}

void add_span(CpuTimes& total, const CpuTimes& from, const CpuTimes& to) {
  total.machine_busy_seconds += to.machine_busy_seconds - from.machine_busy_seconds;
  total.own_seconds += to.own_seconds - from.own_seconds;
  total.wall_seconds += to.wall_seconds - from.wall_seconds;
}

}  // namespace slimlab
