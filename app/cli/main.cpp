// slimlab-cli: SlimLab's headless front end, for scripts, sweeps and clusters.
#include <c10/util/Exception.h>

#include <cstdio>
#include <stdexcept>

#include "commands.h"
#include "interrupt_guard.h"
#include "measure/system_info.h"
#include "store/sqlite.h"
#include "train/runtime.h"
#include "util/input_error.h"

using namespace slimlab;
using namespace slimlab::cli;

namespace {

int dispatch(const CliArgs& args) {
  const auto& c = args.command;
  if (c == "run") return command_run(args);
  if (c == "resume") return command_resume(args);
  if (c == "list") return command_list(args);
  if (c == "show") return command_show(args);
  if (c == "export") return command_export(args);
  if (c == "doctor") return command_doctor(args);
  if (c == "sensitivity") return command_sensitivity(args);
  if (c == "tune") return command_tune(args);
  if (c == "version") {
    std::printf("slimlab-cli %s (LibTorch %s)\n", slimlab_version(), torch_version().c_str());
    return kExitOk;
  }
  if (c == "help") {
    std::fputs(usage_text(args.positional.empty() ? "" : args.positional[0]).c_str(), stdout);
    return kExitOk;
  }
  if (c.empty()) {
    std::fputs(usage_text().c_str(), stderr);
    return kExitBadInput;
  }
  // parse_args refuses unknown commands, so this is a command registered in cli_args.cpp that
  // nothing here runs.
  throw std::logic_error("command \"" + c + "\" has no line in main.cpp's dispatch");
}

}  // namespace

int main(int argc, char** argv) {
  start_interrupt_thread();  // First: no thread that computes may ever take a signal.
  // Every error ends here as one line on stderr and an exit code; nothing is half-written.
  limit_interop_threads();
  try {
    return dispatch(parse_args(argc, argv));
  } catch (const UsageError& e) {
    std::fprintf(stderr, "slimlab-cli: %s\n", e.what());
    return kExitBadInput;
  } catch (const InputError& e) {
    std::fprintf(stderr, "slimlab-cli: %s\n", e.what());
    return kExitBadInput;
  } catch (const StoreError& e) {
    std::fprintf(stderr, "slimlab-cli: %s\n", e.what());
    return kExitStore;
  } catch (const c10::Error& e) {
    std::fprintf(stderr, "slimlab-cli: %s\n", e.what_without_backtrace());
    return kExitRunFailed;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "slimlab-cli: %s\n", e.what());
    return kExitRunFailed;
  }
}
