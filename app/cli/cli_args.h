#pragma once

#include <stdexcept>
#include <string>
#include <vector>

namespace slimlab::cli {

/// The command line, split into the command, its positional arguments and its options.
struct CliArgs {
  std::string command;
  std::vector<std::string> positional;
  std::string db;                 ///< --db FILE; "" = the default store.
  std::vector<std::string> sets;  ///< --set path=value, in order.
  std::string csv;                ///< --csv FILE (export).
  std::string safetensors;        ///< --safetensors FILE (export): the run's final weights.
  bool json = false;              ///< --json: machine-readable output.
  bool quiet = false;             ///< --quiet: no progress bar.
  bool baseline = false;  ///< --baseline (run, distillation): train the student alone first.
  bool experts = false;   ///< --experts (show): router load and class x expert tables.
  bool layers = false;    ///< --layers (show): per-layer table and pruning reality summary.
  bool retrain = false;   ///< --retrain (sensitivity): train the dense network again.
};

/// Parses argv; throws UsageError with a one-line message for unknown or incomplete options.
CliArgs parse_args(int argc, char** argv);

struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// The --help text.
const char* usage_text();

}  // namespace slimlab::cli
