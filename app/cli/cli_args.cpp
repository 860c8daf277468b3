#include "cli_args.h"

#include <stdexcept>

#include "spec/spec_reader.h"

namespace slimlab::cli {

const char* usage_text() {
  return R"(usage: slimlab-cli [--db FILE] COMMAND [ARGS]

Commands:
  run SPEC [--set path.to.field=VALUE]...   train the experiment in SPEC (a JSON file)
      [--baseline]                          distillation / pruning: first train the student alone
                                            or the dense network (once), so the summary can say how
                                            much of the gap KD closed or what pruning cost
  resume RUN                                continue RUN from its last checkpoint
  list                                      list the runs in the store
  show RUN [--experts] [--layers]           details and final metrics of RUN; --experts adds
                                            each MoE layer's expert load and class x expert table;
                                            --layers the per-layer table (name, shape, params,
                                            non-zeros, sparsity, weight sparsity, MACs) and, for a
                                            pruned run, the reality summary: bytes, physical
                                            size, latency
  sensitivity SPEC [--csv FILE] [--retrain] prune each layer of SPEC's "prune" section alone at
                                            0..95% sparsity and evaluate on the validation split;
                                            uses (or trains) the dense run of SPEC
  export RUN --csv FILE                     write RUN's metrics as CSV (run,key,step,value)
  export RUN --safetensors FILE             write RUN's final weights (a teacher for PyTorch or
                                            for a distillation spec's "safetensors" teacher)
  doctor                                    check LibTorch, BLAS speed, datasets and the store

Options:
  --db FILE     the run store (default: $XDG_DATA_HOME/SlimLab/runs.sqlite,
                i.e. ~/.local/share/SlimLab/runs.sqlite)
  --set P=V     override a spec field, e.g. --set schedule.epochs=2 --set model.hidden=[64]
  --json        print one JSON object as the last line of stdout (run, resume, list, show, doctor)
  --quiet       no progress bar
  --help        this text;  --version  the version

RUN is a run id from `slimlab-cli list`, or the start of a run's uuid.
Presets live in experiments/ (installed to /usr/local/share/slimlab/experiments).
)";
}

CliArgs parse_args(int argc, char** argv) {
  static const std::vector<std::string> kOptions = {
      "--db",      "--set",     "--csv",      "--json",   "--quiet",  "--help",
      "--version", "--experts", "--baseline", "--layers", "--retrain"};
  CliArgs args;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&](const char* name) -> std::string {
      auto eq = a.find('=');
      if (eq != std::string::npos && a.rfind("--", 0) == 0 && a.substr(0, eq) == name &&
          std::string(name) != "--set") {
        return a.substr(eq + 1);
      }
      if (i + 1 >= argc) throw UsageError(std::string(name) + " needs a value");
      return argv[++i];
    };
    auto is = [&](const char* name) {
      return a == name ||
             (a.rfind(std::string(name) + "=", 0) == 0 && std::string(name) != "--set");
    };
    if (is("--db")) {
      args.db = value("--db");
    } else if (a == "--set") {
      args.sets.push_back(value("--set"));
    } else if (a.rfind("--set=", 0) == 0) {
      args.sets.push_back(a.substr(6));
    } else if (is("--csv")) {
      args.csv = value("--csv");
    } else if (is("--safetensors")) {
      args.safetensors = value("--safetensors");
    } else if (a == "--json") {
      args.json = true;
    } else if (a == "--baseline") {
      args.baseline = true;
    } else if (a == "--experts") {
      args.experts = true;
    } else if (a == "--layers") {
      args.layers = true;
    } else if (a == "--retrain") {
      args.retrain = true;
    } else if (a == "--quiet" || a == "-q") {
      args.quiet = true;
    } else if (a == "--help" || a == "-h") {
      args.command = "help";
    } else if (a == "--version") {
      args.command = "version";
    } else if (a.size() > 1 && a[0] == '-') {
      auto near = nearest_word(a.substr(0, a.find('=')), kOptions);
      throw UsageError("unknown option " + a +
                       (near.empty() ? "" : "; did you mean " + near + "?") +
                       " (see slimlab-cli --help)");
    } else if (args.command.empty()) {
      args.command = a;
    } else {
      args.positional.push_back(a);
    }
  }
  return args;
}

}  // namespace slimlab::cli
