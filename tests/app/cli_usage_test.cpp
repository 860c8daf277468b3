// slimlab-cli's command line: help on stdout for the program and each command, usage errors in
// one line naming the option or argument, --db before or after the command.
#include <algorithm>
#include <string>
#include <vector>

#include "cli_fixture.h"

using namespace slimlab::testing;

namespace {

/// One line on stderr, exit 2, containing `message`.
void expectRefused(const CliResult& r, const std::string& message) {
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_EQ(r.err.rfind("slimlab-cli: ", 0), 0u) << r.err;
  EXPECT_NE(r.err.find(message), std::string::npos) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_EQ(r.out, "");
}

}  // namespace

TEST_F(CliTest, HelpOfSlimlabCliAndOfEveryCommandIsOnStdout) {
  auto help = cli("--help");
  EXPECT_EQ(help.exit_code, 0) << help.err;
  EXPECT_EQ(help.err, "");
  const std::vector<std::string> commands = {"run",         "resume", "list",   "show",
                                             "sensitivity", "tune",   "export", "doctor"};
  for (const auto& command : commands) {
    EXPECT_NE(help.out.find("\n  " + command + " "), std::string::npos) << command << help.out;
  }
  EXPECT_NE(help.out.find("--db FILE"), std::string::npos) << help.out;
  EXPECT_EQ(cli("help").out, help.out);  // The old spelling still works.
  // Each command's help lists its own options and no other command's.
  struct Case {
    std::string command;
    std::vector<std::string> takes, not_taken;
  };
  for (const auto& c : std::vector<Case>{
           {"run",
            {"SPEC", "--set P=V", "--baseline", "--json", "-q,--quiet", "--db FILE"},
            {"--layers", "--csv"}},
           {"resume", {"RUN", "--json", "--quiet"}, {"--set", "--baseline"}},
           {"list", {"--json", "--db"}, {"--quiet", "RUN"}},
           {"show", {"RUN", "--experts", "--layers", "--json"}, {"--set", "--quiet"}},
           {"sensitivity",
            {"SPEC", "--set", "--csv FILE", "--retrain", "--json", "--quiet"},
            {"--layers"}},
           {"tune",
            {"RUN", "--target AXIS=SHARE", "--plan FILE", "--methods LIST", "--samples N",
             "--apply", "--finetune-steps N", "--json", "--quiet"},
            {"--set", "--layers"}},
           {"export", {"RUN", "--csv FILE", "--safetensors FILE"}, {"--json", "--set"}},
           {"doctor", {"--json"}, {"--quiet", "--set"}}}) {
    SCOPED_TRACE(c.command);
    auto r = cli(c.command + " --help");
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.err, "");
    EXPECT_NE(r.out.find("Usage: slimlab-cli " + c.command + " [OPTIONS]"), std::string::npos)
        << r.out;
    for (const auto& option : c.takes) {
      EXPECT_NE(r.out.find(option), std::string::npos) << option << "\n" << r.out;
    }
    for (const auto& option : c.not_taken) {
      EXPECT_EQ(r.out.find(option), std::string::npos) << option << "\n" << r.out;
    }
  }
  // The other spellings (each start of slimlab-cli loads LibTorch: about a second).
  auto run_help = cli("run --help").out;
  EXPECT_EQ(cli("run -h").out, run_help);
  EXPECT_EQ(cli("help run").out, run_help);
  EXPECT_EQ(cli("run --bogus --help").out, run_help);  // Help wins over a usage error.
  // No command: the usage, as an error.
  auto none = cli("");
  EXPECT_EQ(none.exit_code, 2);
  EXPECT_EQ(none.err, help.out);
  EXPECT_EQ(none.out, "");
  auto version = cli("--version");
  EXPECT_EQ(version.exit_code, 0) << version.err;
  EXPECT_EQ(version.out.rfind("slimlab-cli ", 0), 0u) << version.out;
}

TEST_F(CliTest, UsageErrorsAreOneLineNamingTheOptionOrArgument) {
  const std::string spec = preset("mlp-spirals.json");
  // An option of another command.
  expectRefused(cli("list --layers"), "list does not take --layers; show does");
  expectRefused(cli("run " + spec + " --experts"), "run does not take --experts; show does");
  expectRefused(cli("show 1 --set model.hidden=[3]"),
                "show does not take --set; run and sensitivity do");
  expectRefused(
      cli("export 1 --json"),
      "export does not take --json; run, resume, list, show, sensitivity, tune and doctor do");
  expectRefused(cli("--json list"), "--json goes after the command name: slimlab-cli list");
  // Unknown options and commands, with a suggestion.
  expectRefused(cli("run " + spec + " --baselin"),
                "unknown option --baselin; did you mean --baseline? (see slimlab-cli run --help)");
  expectRefused(cli("sensitivity " + spec + " --csvv x.csv"),
                "unknown option --csvv; did you mean --csv?");
  expectRefused(cli("frobnicate"), "unknown command \"frobnicate\" (see slimlab-cli --help)");
  expectRefused(cli("shw 1"), "unknown command \"shw\"; did you mean show?");
  expectRefused(cli("list -x"), "unknown option -x (see slimlab-cli list --help)");
  expectRefused(cli("list --version"), "--version goes before the command name");
  // A missing value.
  expectRefused(cli("export 1 --csv"), "--csv needs a value (see slimlab-cli export --help)");
  expectRefused(cli("run " + spec + " --set"), "--set needs a value");
  expectRefused(cli("list --db"), "--db needs a value");
  // One argument too many, or one a command never takes.
  expectRefused(cli("show 1 2"), "show takes one RUN; \"2\" is one too many");
  expectRefused(cli("run " + spec + " " + spec), "run takes one SPEC");
  expectRefused(cli("list everything"), "list takes no arguments, got \"everything\"");
  // A missing SPEC or RUN: the command's own message, with an example.
  expectRefused(cli("run"), "run needs one spec file, e.g. slimlab-cli run");
  expectRefused(cli("export 1"), "export needs a run and a file");
  // --set takes one value, wherever it stands; SPEC is still SPEC.
  expectRefused(cli("run --set model.hiden=[3] " + spec),
                "model.hiden: unknown field; did you mean \"hidden\"?");
  expectRefused(cli("run -- " + spec), "unknown option -- (see slimlab-cli --help)");
  EXPECT_FALSE(std::filesystem::exists(db())) << "a refused command line must not create a store";
}

TEST_F(CliTest, DbWorksBeforeOrAfterTheCommandAndTheLastOneWins) {
  // The fixture puts its own --db first; a later one replaces it.
  for (const auto& line :
       {"list --db " + dir_.file("other.sqlite"), "list --db=" + dir_.file("other.sqlite"),
        "--db " + dir_.file("other.sqlite") + " list"}) {
    auto r = cli(line);
    EXPECT_EQ(r.exit_code, 0) << line << r.err;
    EXPECT_NE(r.out.find("no store at " + dir_.file("other.sqlite")), std::string::npos)
        << line << "\n"
        << r.out;
  }
}
