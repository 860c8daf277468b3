#include "measure/latency.h"

#include <algorithm>
#include <chrono>

namespace slimlab {

std::vector<Latency> compare_latency(const std::vector<std::function<void()>>& calls,
                                     int64_t warmup, int64_t min_rounds, int64_t max_rounds,
                                     double budget_seconds) {
  using Clock = std::chrono::steady_clock;
  for (int64_t i = 0; i < warmup; ++i) {
    for (const auto& call : calls) call();
  }
  std::vector<std::vector<double>> times(calls.size());
  auto started = Clock::now();
  for (int64_t round = 0; round < max_rounds; ++round) {
    for (size_t c = 0; c < calls.size(); ++c) {
      auto t0 = Clock::now();
      calls[c]();
      times[c].push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
    }
    double spent = std::chrono::duration<double>(Clock::now() - started).count();
    if (round + 1 >= min_rounds && spent >= budget_seconds) break;
  }
  std::vector<Latency> result;
  for (auto& t : times) {
    std::sort(t.begin(), t.end());
    auto at = [&](double q) { return t[size_t(q * double(t.size() - 1) + 0.5)]; };
    result.push_back({at(0.5), at(0.1), at(0.9), int64_t(t.size())});
  }
  return result;
}

}  // namespace slimlab
