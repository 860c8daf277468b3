#pragma once

#include "cli_args.h"

namespace slimlab::cli {

/// Exit codes of slimlab-cli.
enum ExitCode : int {
  kExitOk = 0,
  kExitRunFailed = 1,   ///< The run failed or diverged; doctor found a problem.
  kExitBadInput = 2,    ///< Usage, spec or data errors.
  kExitStore = 3,       ///< The run store could not be opened or written.
  kExitCancelled = 130  ///< Stopped with Ctrl-C (the run is kept as cancelled).
};

int command_run(const CliArgs& args);
int command_resume(const CliArgs& args);
int command_list(const CliArgs& args);
int command_show(const CliArgs& args);
int command_export(const CliArgs& args);
int command_doctor(const CliArgs& args);

/// The store path the user chose with --db, or the default.
std::string store_path(const CliArgs& args);

}  // namespace slimlab::cli
