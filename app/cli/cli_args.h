#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace slimlab::cli {

/// The command line, split into the command, its positional arguments and its options.
/// Parsed by CLI11 in cli_args.cpp, where each command registers the options it takes in an
/// `add_<command>` function; a new command adds its function to kCommands there and its line
/// to main.cpp's dispatch.
struct CliArgs {
  std::string command;  ///< "run", ...; "help" (positional: the command asked about), "version".
  std::vector<std::string> positional;  ///< SPEC or RUN; empty if not given (the command says).
  std::string db;                       ///< --db FILE; "" = the default store.
  std::vector<std::string> sets;        ///< --set path=value, in order.
  std::string csv;                      ///< --csv FILE (export, sensitivity).
  std::string safetensors;              ///< --safetensors FILE (export): the run's final weights.
  bool json = false;                    ///< --json: machine-readable output.
  bool quiet = false;                   ///< --quiet: no progress bar.
  bool baseline = false;  ///< --baseline (run, distillation): train the student alone first.
  bool experts = false;   ///< --experts (show): router load and class x expert tables.
  bool layers = false;    ///< --layers (show): per-layer table and pruning reality summary.
  bool retrain = false;   ///< --retrain (sensitivity): train the dense network again.
  std::string target;     ///< --target AXIS=SHARE (tune): the budget, e.g. params=0.25.
  std::string plan;       ///< --plan FILE (tune): a compression plan to evaluate.
  std::string methods = "prune";  ///< --methods LIST (tune): methods a budget fit may use.
  int64_t samples = 2000;         ///< --samples N (tune): validation examples per evaluation.
  bool apply = false;             ///< --apply (tune): fine-tune the plan as a child run.
  int64_t finetune_steps = 0;     ///< --finetune-steps N (tune, with --apply).
};

/// Parses argv; throws UsageError with a one-line message for unknown commands, options a
/// command does not take, missing values and extra arguments.
CliArgs parse_args(int argc, char** argv);

struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// The --help text of `command`, or of slimlab-cli itself for "". Throws UsageError for a
/// command that does not exist.
std::string usage_text(const std::string& command = "");

}  // namespace slimlab::cli
