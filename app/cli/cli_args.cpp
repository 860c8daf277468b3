#include "cli_args.h"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <memory>

#include "util/nearest_word.h"

namespace slimlab::cli {
namespace {

constexpr const char* kProgram = "slimlab-cli";

// Every command's SPEC or RUN is optional to CLI11 so that the command's own check reports a
// missing one, with an example; the usage line shows them without brackets all the same.
class Formatter : public CLI::Formatter {
 public:
  std::string make_option_usage(const CLI::Option* opt) const override {
    return opt->get_name(/*positional=*/true);
  }
};

// The options several commands share. Each command's add_ function below names the ones it
// takes, so `slimlab-cli COMMAND --help` lists exactly those and any other is refused.

void add_db(CLI::App& command, CliArgs& args) {
  command
      .add_option("--db", args.db,
                  "the run store (default: $XDG_DATA_HOME/SlimLab/runs.sqlite,\n"
                  "i.e. ~/.local/share/SlimLab/runs.sqlite); before or after the command")
      ->type_name("FILE")
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
}

void add_sets(CLI::App& command, CliArgs& args) {
  command
      .add_option("--set", args.sets,
                  "override a spec field, e.g. --set schedule.epochs=2 --set model.hidden=[64]")
      ->type_name("P=V")
      // One value per --set (repeat it for more), so `--set a=1 SPEC` leaves SPEC alone.
      ->allow_extra_args(false);
}

void add_json(CLI::App& command, CliArgs& args) {
  command.add_flag("--json", args.json, "print one JSON object as the last line of stdout");
}

void add_quiet(CLI::App& command, CliArgs& args) {
  command.add_flag("-q,--quiet", args.quiet, "no progress bar");
}

void add_file(CLI::App& command, const char* name, std::string& file, const char* description) {
  command.add_option(name, file, description)
      ->type_name("FILE")
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
}

// The one argument a command takes: SPEC, RUN (help: COMMAND).
void add_argument(CLI::App& command, CliArgs& args, const char* name, const char* description) {
  command
      .add_option_function<std::string>(
          name, [&args](const std::string& value) { args.positional = {value}; }, description)
      ->type_name("");
}

constexpr const char* kRunArgument = "a run id from `slimlab-cli list`, or the start of its uuid";

CLI::App& add_command(CLI::App& app, CliArgs& args, const char* name, const char* description) {
  CLI::App& command = *app.add_subcommand(name, description);
  command.group("Commands");
  command.set_help_flag("-h,--help", "this text");
  add_db(command, args);  // --db has always been taken before or after the command name.
  return command;
}

void add_run(CLI::App& app, CliArgs& args) {
  auto& run = add_command(app, args, "run", "train the experiment in SPEC (a JSON file)");
  add_argument(run, args, "SPEC", "the experiment, e.g. experiments/mlp-fashion.json");
  add_sets(run, args);
  run.add_flag("--baseline", args.baseline,
               "distillation / pruning: first train the student alone or the dense\n"
               "network (once), so the summary can say how much of the gap KD closed\n"
               "or what pruning cost");
  add_json(run, args);
  add_quiet(run, args);
}

void add_resume(CLI::App& app, CliArgs& args) {
  auto& resume = add_command(app, args, "resume", "continue RUN from its last checkpoint");
  add_argument(resume, args, "RUN", kRunArgument);
  add_json(resume, args);
  add_quiet(resume, args);
}

void add_list(CLI::App& app, CliArgs& args) {
  auto& list = add_command(app, args, "list", "list the runs in the store");
  add_json(list, args);
}

void add_show(CLI::App& app, CliArgs& args) {
  auto& show = add_command(app, args, "show", "details and final metrics of RUN");
  add_argument(show, args, "RUN", kRunArgument);
  show.add_flag("--experts", args.experts, "each MoE layer's expert load and class x expert table");
  show.add_flag("--layers", args.layers,
                "the per-layer table (name, shape, params, non-zeros, sparsity, weight\n"
                "sparsity, MACs) and, for a pruned run, the reality summary: bytes,\n"
                "physical size, latency");
  add_json(show, args);
}

void add_sensitivity(CLI::App& app, CliArgs& args) {
  auto& sensitivity =
      add_command(app, args, "sensitivity",
                  "prune each layer of SPEC's \"prune\" section alone at 0..95% sparsity\n"
                  "and evaluate on the validation split; uses (or trains) SPEC's dense run");
  add_argument(sensitivity, args, "SPEC", "a spec with a \"prune\" section");
  add_sets(sensitivity, args);
  add_file(sensitivity, "--csv", args.csv,
           "also write the table as CSV (layer,sparsity,accuracy,loss)");
  sensitivity.add_flag("--retrain", args.retrain,
                       "train the dense network again instead of reusing its run");
  add_json(sensitivity, args);
  add_quiet(sensitivity, args);
}

void add_tune(CLI::App& app, CliArgs& args) {
  auto& tune = add_command(app, args, "tune",
                           "explore RUN's compression: per-layer sensitivity curves and a plan\n"
                           "for --target (AIMET's greedy allocation) beside the uniform setting,\n"
                           "or --plan FILE evaluated; --apply fine-tunes it as a child run");
  add_argument(tune, args, "RUN", "a finished dense run");
  tune.add_option("--target", args.target,
                  "the budget as a share of the trained network: params=0.25,\n"
                  "bytes=0.3 or macs=0.5")
      ->type_name("AXIS=SHARE");
  add_file(tune, "--plan", args.plan, "a plan (JSON) to evaluate instead of fitting a budget");
  tune.add_option("--methods", args.methods,
                  "what a budget fit may use: prune, lowrank, quant, comma-separated\n"
                  "(default prune)")
      ->type_name("LIST");
  tune.add_option("--samples", args.samples,
                  "validation examples each setting is evaluated on (default 2000)")
      ->type_name("N");
  tune.add_flag("--apply", args.apply, "fine-tune the plan as a child run of RUN");
  tune.add_option("--finetune-steps", args.finetune_steps, "optimiser steps of that fine-tuning")
      ->type_name("N");
  add_json(tune, args);
  add_quiet(tune, args);
}

void add_export(CLI::App& app, CliArgs& args) {
  auto& exported = add_command(app, args, "export", "write RUN's metrics or final weights");
  add_argument(exported, args, "RUN", kRunArgument);
  add_file(exported, "--csv", args.csv, "RUN's metrics as CSV (run,key,step,value)");
  add_file(exported, "--safetensors", args.safetensors,
           "RUN's final weights (a teacher for PyTorch or for a\n"
           "distillation spec's \"safetensors\" teacher)");
}

void add_doctor(CLI::App& app, CliArgs& args) {
  auto& doctor =
      add_command(app, args, "doctor", "check LibTorch, BLAS speed, datasets and the store");
  add_json(doctor, args);
}

// `slimlab-cli help [COMMAND]` and `slimlab-cli version`, the hand-written parser's spellings of
// --help and --version; not listed (hidden: no group).
void add_hidden_commands(CLI::App& app, CliArgs& args) {
  add_argument(*app.add_subcommand("help")->group(""), args, "COMMAND", "");
  app.add_subcommand("version")->group("");
}

using AddCommand = void (*)(CLI::App&, CliArgs&);

// Every command, in the order --help lists them. A new command: its add_ function here and its
// line in main.cpp's dispatch.
constexpr AddCommand kCommands[] = {add_run,         add_resume, add_list,   add_show,
                                    add_sensitivity, add_tune,   add_export, add_doctor};

// slimlab-cli's whole command line, every option bound to a member of `args`.
void configure(CLI::App& app, CliArgs& args) {
  app.description("slimlab-cli: SlimLab's headless front end, for scripts, sweeps and clusters.");
  auto formatter = std::make_shared<Formatter>();
  formatter->label("SUBCOMMAND", "COMMAND");
  formatter->label("Positionals", "Arguments");
  formatter->column_width(24);
  app.formatter(formatter);  // Before the commands: they inherit it.
  app.set_help_flag("-h,--help", "this text; slimlab-cli COMMAND --help: that command's options");
  app.add_flag_callback(
      "--version", [&args] { args.command = "version"; },
      "the version of slimlab-cli and LibTorch");
  add_db(app, args);
  // Unknown commands, options and extra arguments are left for refuse_extras(), which names
  // them with a suggestion; the commands inherit this.
  app.allow_extras();
  app.require_subcommand(0, 1);
  for (AddCommand add : kCommands) add(app, args);
  add_hidden_commands(app, args);
  app.footer(  // After the commands, which would inherit it.
      "RUN is a run id from `slimlab-cli list`, or the start of a run's uuid.\n"
      "Presets live in experiments/ (installed to /usr/local/share/slimlab/experiments).");
}

std::vector<const CLI::App*> listed_commands(const CLI::App& app) {
  return app.get_subcommands([](const CLI::App* c) { return !c->get_group().empty(); });
}

const CLI::App* find_command(const CLI::App& app, const std::string& name) {
  auto found = app.get_subcommands([&](const CLI::App* c) { return c->get_name() == name; });
  return found.empty() ? nullptr : found.front();
}

// The options `command` takes, as typed: "--set", "-q", ... Suggestions leave out the short
// names: one letter is one edit from any other.
std::vector<std::string> option_names(const CLI::App& command, bool with_short = true) {
  std::vector<std::string> names;
  for (const CLI::Option* opt : command.get_options()) {
    for (const auto& name : opt->get_lnames()) names.push_back("--" + name);
    if (!with_short) continue;
    for (const auto& name : opt->get_snames()) names.push_back("-" + name);
  }
  return names;
}

bool takes(const CLI::App& command, const std::string& option) {
  auto names = option_names(command);
  return std::find(names.begin(), names.end(), option) != names.end();
}

std::vector<std::string> commands_taking(const CLI::App& app, const std::string& option) {
  std::vector<std::string> takers;
  for (const CLI::App* command : listed_commands(app)) {
    if (takes(*command, option)) takers.push_back(command->get_name());
  }
  return takers;
}

// "run", "run and show", "run, resume and show".
std::string join_names(const std::vector<std::string>& names) {
  std::string joined;
  for (size_t i = 0; i < names.size(); ++i) {
    joined += (i == 0 ? "" : i + 1 == names.size() ? " and " : ", ") + names[i];
  }
  return joined;
}

std::string see_help(const CLI::App* command) {
  return std::string(" (see ") + kProgram + (command ? " " + command->get_name() : "") + " --help)";
}

std::string unknown_command(const CLI::App& app, const std::string& word) {
  std::vector<std::string> names;
  for (const CLI::App* command : listed_commands(app)) names.push_back(command->get_name());
  auto near = nearest_word(word, names);
  return "unknown command \"" + word + "\"" + (near.empty() ? "" : "; did you mean " + near + "?") +
         see_help(nullptr);
}

// `arg` is an option no one took, given before the command name (`before_command`) or after
// it; `command` is the command on the line (nullptr: none).
std::string refuse_option(const CLI::App& app, const CLI::App* command, bool before_command,
                          const std::string& arg) {
  std::string name = arg.substr(0, arg.find('='));
  auto takers = commands_taking(app, name);
  if (!takers.empty()) {
    if (before_command && command && takes(*command, name)) {
      return name + " goes after the command name: " + kProgram + " " + command->get_name() +
             " ... " + name;
    }
    if (command) {
      return command->get_name() + " does not take " + name + "; " + join_names(takers) +
             (takers.size() == 1 ? " does" : " do") + see_help(command);
    }
    return name + " goes after the name of a command that takes it (" + join_names(takers) + ")" +
           see_help(nullptr);
  }
  if (!before_command && takes(app, name)) {
    return name + " goes before the command name: " + kProgram + " " + name + " ...";
  }
  // Before the command name, any command's option may be what was meant.
  std::vector<std::string> candidates = option_names(before_command ? app : *command, false);
  if (before_command) {
    for (const CLI::App* c : listed_commands(app)) {
      auto names = option_names(*c, false);
      candidates.insert(candidates.end(), names.begin(), names.end());
    }
  }
  auto near = nearest_word(name, candidates);
  return "unknown option " + arg + (near.empty() ? "" : "; did you mean " + near + "?") +
         see_help(before_command ? nullptr : command);
}

std::string refuse_argument(const CLI::App& command, const std::string& arg) {
  auto positionals = command.get_options([](const CLI::Option* o) { return o->get_positional(); });
  if (positionals.empty()) {
    return command.get_name() + " takes no arguments, got \"" + arg + "\"" + see_help(&command);
  }
  return command.get_name() + " takes one " + positionals.front()->get_name(true) + "; \"" + arg +
         "\" is one too many" + see_help(&command);
}

// The first argument CLI11 could not place becomes the one line.
void refuse_extras(const CLI::App& app, const CLI::App* parsed) {
  auto before = app.remaining();  // Arguments before the command name, or with no command.
  if (!before.empty()) {
    const std::string& arg = before.front();
    if (arg.size() > 1 && arg[0] == '-')
      throw UsageError(refuse_option(app, parsed, /*before_command=*/true, arg));
    throw UsageError(unknown_command(app, arg));
  }
  if (!parsed) return;
  auto after = parsed->remaining();
  if (after.empty()) return;
  const std::string& arg = after.front();
  if (arg.size() > 1 && arg[0] == '-')
    throw UsageError(refuse_option(app, parsed, /*before_command=*/false, arg));
  throw UsageError(refuse_argument(*parsed, arg));
}

const CLI::App* parsed_command(const CLI::App& app) {
  auto parsed = app.get_subcommands();
  return parsed.empty() ? nullptr : parsed.front();
}

}  // namespace

std::string usage_text(const std::string& command) {
  CliArgs unused;
  CLI::App app("", kProgram);
  configure(app, unused);
  if (command.empty()) return app.help();
  const CLI::App* found = find_command(app, command);
  if (!found) throw UsageError(unknown_command(app, command));
  return found->help(kProgram);
}

CliArgs parse_args(int argc, char** argv) {
  // CLI11 takes "--" as the end of options only while the command still waits for its SPEC or
  // RUN; after that, "--" hands the rest back to be read as slimlab-cli's own options. Nothing
  // here needs it, so it is refused, as it was before CLI11.
  for (int i = 1; i < argc; ++i) {
    if (std::string(argv[i]) == "--") {
      throw UsageError(std::string("unknown option --") + see_help(nullptr));
    }
  }
  CliArgs args;
  CLI::App app("", kProgram);
  configure(app, args);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    CliArgs help;
    help.command = "help";
    if (const CLI::App* command = parsed_command(app)) help.positional = {command->get_name()};
    return help;
  } catch (const CLI::ArgumentMismatch& e) {
    // CLI11 says "--db: 1 required FILE missing" when the line ends before an option's value.
    std::string what = e.what();
    auto colon = what.find(':');
    if (colon != std::string::npos && what.find(" missing") != std::string::npos) {
      what = what.substr(0, colon) + " needs a value";
    }
    throw UsageError(what + see_help(parsed_command(app)));
  } catch (const CLI::ParseError& e) {
    std::string what = e.what();
    std::replace(what.begin(), what.end(), '\n', ' ');  // One line, as every error here.
    throw UsageError(what + see_help(parsed_command(app)));
  }
  const CLI::App* command = parsed_command(app);
  refuse_extras(app, command);
  if (args.command.empty() && command) args.command = command->get_name();
  return args;
}

}  // namespace slimlab::cli
