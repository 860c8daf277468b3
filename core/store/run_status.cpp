#include "store/run_status.h"

#include <array>

namespace slimlab {
namespace {
constexpr std::array<const char*, 7> kNames = {"queued",    "running",     "finished", "failed",
                                               "cancelled", "interrupted", "diverged"};
}

const char* status_name(RunStatus status) { return kNames[size_t(status)]; }

std::optional<RunStatus> status_from_name(const std::string& name) {
  for (size_t i = 0; i < kNames.size(); ++i) {
    if (name == kNames[i]) return RunStatus(i);
  }
  return std::nullopt;
}

}  // namespace slimlab
