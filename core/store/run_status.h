#pragma once

#include <optional>
#include <string>

namespace slimlab {

/// Life cycle of a run, as the run store keeps it.
enum class RunStatus { Queued, Running, Finished, Failed, Cancelled, Interrupted, Diverged };

const char* status_name(RunStatus status);
std::optional<RunStatus> status_from_name(const std::string& name);

}  // namespace slimlab
