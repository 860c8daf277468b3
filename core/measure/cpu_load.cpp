#include "measure/cpu_load.h"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
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
  // "cpu  user nice system idle iowait irq softirq steal guest guest_nice" in clock ticks; guest
  // time is already inside user and nice.
  std::ifstream stat("/proc/stat");
  std::string line;
  if (!std::getline(stat, line) || line.rfind("cpu ", 0) != 0) return t;
  std::istringstream fields(line.substr(4));
  double user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0;
  if (!(fields >> user >> nice >> system >> idle >> iowait >> irq >> softirq)) return t;
  fields >> steal;  // Absent on old kernels.
  const long ticks = sysconf(_SC_CLK_TCK);
  if (ticks <= 0) return t;
  t.machine_busy_seconds = (user + nice + system + irq + softirq + steal) / double(ticks);
  t.known = true;
  return t;
}

double others_busy_cores(const CpuTimes& before, const CpuTimes& after) {
  const double wall = after.wall_seconds - before.wall_seconds;
  if (!before.known || !after.known || wall < 0.1) return -1;
  const double machine = after.machine_busy_seconds - before.machine_busy_seconds;
  const double own = after.own_seconds - before.own_seconds;
  return std::max(0.0, (machine - own) / wall);
}

}  // namespace slimlab
