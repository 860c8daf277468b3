// kill -9 of real slimlab-cli and slimlab (window) processes at random moments: the store stays
// whole, the run is interrupted with everything up to its last checkpoint, and resume ends where
// an unbroken run ends.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <random>
#include <thread>

#include "cli_fixture.h"

using namespace slimlab::testing;

namespace {

/// One line of `sqlite3 FILE SQL` output (the sqlite3 tool is installed with the packages).
std::string sqlite(const std::string& db, const std::string& sql) {
  // The busy timeout: a run may be committing while the test looks.
  std::string command = "sqlite3 -bail -cmd '.timeout 5000' '" + db + "' \"" + sql + "\" 2>&1";
  std::string out;
  if (FILE* p = popen(command.c_str(), "r")) {
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
    pclose(p);
  }
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

/// The run's metrics up to `step` as "key step value" lines, without the timing ones (wall
/// clock, steps/s), which differ between any two runs.
/// `without_test`: leave out test/*, which the final evaluation writes after the last checkpoint.
std::string metrics_up_to(const std::string& db, int run, int64_t step, bool without_test = false) {
  return sqlite(db,
                "SELECT k.name, m.step, m.value FROM metrics m JOIN metric_keys k ON k.id = "
                "m.key_id WHERE m.run_id = " +
                    std::to_string(run) + " AND m.step <= " + std::to_string(step) +
                    " AND k.name NOT LIKE '%per_second%' AND k.name NOT LIKE '%seconds%' " +
                    (without_test ? "AND k.name NOT LIKE 'test/%' " : "") +
                    "ORDER BY k.name, m.step");
}

}  // namespace

namespace {

/// Starts `command` (a shell command line) with its output thrown away; returns its pid.
pid_t spawn_quiet(const std::string& command) {
  pid_t child = fork();
  if (child == 0) {
    int devnull = ::open("/dev/null", O_WRONLY);
    dup2(devnull, STDOUT_FILENO);
    dup2(devnull, STDERR_FILENO);
    execl("/bin/sh", "sh", "-c", ("exec " + command).c_str(), (char*)nullptr);
    _exit(127);
  }
  return child;
}

/// The newest run's id, or 0 while the store has none (or no tables yet).
int newest_run(const std::string& db) {
  if (!std::filesystem::exists(db)) return 0;
  auto out = sqlite(db, "SELECT coalesce(max(id), 0) FROM runs");
  return !out.empty() && std::isdigit(static_cast<unsigned char>(out[0])) ? std::stoi(out) : 0;
}

}  // namespace

/// Runs `command` (which trains run 1's experiment into db()) `attempts` times and SIGKILLs it
/// at a random moment after its run appears in the store, within the first 80% of run 1's
/// training time (counted from the run, not the process: start-up, a window opening, varies
/// with the machine's load more than training does). After each kill the store must be whole,
/// the run `interrupted` with everything up to its last checkpoint as the unbroken run 1 has it,
/// and `slimlab-cli resume` must end where run 1 ended (`expected`, its `run --json`).
void slimlab::testing::CliTest::killAtRandomMoments(const std::string& command,
                                                    const json& expected, int attempts,
                                                    unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> moment(0.05,
                                                0.8 * expected["train_seconds"].get<double>());
  int run = newest_run(db()), killed_mid_run = 0;
  for (int attempt = 0; attempt < attempts; ++attempt) {
    pid_t child = spawn_quiet(command);
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (newest_run(db()) == run && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    double at = moment(rng);
    std::this_thread::sleep_for(std::chrono::duration<double>(at));
    kill(child, SIGKILL);
    int status = 0;
    waitpid(child, &status, 0);
    SCOPED_TRACE("attempt " + std::to_string(attempt) + ", killed after " + std::to_string(at) +
                 " s");
    EXPECT_EQ(sqlite(db(), "PRAGMA integrity_check"), "ok");
    int last = newest_run(db());
    if (last == run) continue;  // The run never appeared (a minute passed): nothing to check.
    run = last;
    auto shown = cli("show " + std::to_string(run) + " --json");
    ASSERT_EQ(shown.exit_code, 0) << shown.err;
    if (!WIFSIGNALED(status) || shown.last_json()["status"] == "finished") continue;  // Too late.
    ++killed_mid_run;
    EXPECT_EQ(shown.last_json()["status"], "interrupted");
    // Everything logged up to the last checkpoint survived the kill, as the unbroken run has it.
    int64_t checkpoint =
        std::stoll(sqlite(db(), "SELECT coalesce(max(step), 0) FROM checkpoints WHERE run_id = " +
                                    std::to_string(run)));
    EXPECT_EQ(metrics_up_to(db(), run, checkpoint, /*without_test=*/true),
              metrics_up_to(db(), 1, checkpoint, true));
    auto resumed = cli("resume " + std::to_string(run) + " --json --quiet");
    ASSERT_EQ(resumed.exit_code, 0) << resumed.err;
    auto got = resumed.last_json();
    EXPECT_EQ(got["status"], "finished");
    EXPECT_NEAR(got["test_loss"].get<double>(), expected["test_loss"].get<double>(), 1e-6);
    EXPECT_NEAR(got["test_accuracy"].get<double>(), expected["test_accuracy"].get<double>(), 1e-6);
    // After the resume the whole series matches the unbroken run's.
    EXPECT_EQ(metrics_up_to(db(), run, 1 << 30), metrics_up_to(db(), 1, 1 << 30));
  }
  std::printf("killed mid-run %d of %d times\n", killed_mid_run, attempts);
  EXPECT_GE(killed_mid_run, attempts / 2) << "the run ended before most kills; make it longer";
  EXPECT_EQ(sqlite(db(), "PRAGMA integrity_check"), "ok");
}

namespace {

/// Spirals long enough (a few seconds) to be killed mid-run, with a checkpoint every 37 steps:
/// not a multiple of the log interval (10), so a resume starts inside a log window, whose sums
/// must come back with the checkpoint for the series to match.
constexpr const char* kKillableSpirals =
    "--set data.points=40000 --set schedule.epochs=5 "
    "--set schedule.checkpoint_interval_steps=37";

}  // namespace

TEST_F(CliTest, KillNineAtRandomMomentsLosesNothingCheckpointedAndResumesExactly) {
  const std::string run = "run " + preset("mlp-spirals.json") + " " + kKillableSpirals;
  auto reference = cli(run + " --json --quiet");
  ASSERT_EQ(reference.exit_code, 0) << reference.err;
  killAtRandomMoments(std::string(SLIMLAB_CLI) + " --db " + db() + " " + run + " --quiet",
                      reference.last_json(), /*attempts=*/8, 20261122);
}

#ifdef SLIMLAB_GUI
TEST_F(CliTest, KillNineOfTheWindowMidRunLosesNothingCheckpointedAndResumesExactly) {
  // The same experiment as a spec file, started by the window (slimlab --start FILE).
  auto spec = dir_.file("killable.json");
  auto killable = json::parse(read_all(preset("mlp-spirals.json")));
  killable["data"]["points"] = 40000;
  killable["schedule"]["epochs"] = 5;
  killable["schedule"]["checkpoint_interval_steps"] = 37;
  write_file(spec, killable.dump());
  auto reference = cli("run " + spec + " --json --quiet");
  ASSERT_EQ(reference.exit_code, 0) << reference.err;
  killAtRandomMoments("env QT_QPA_PLATFORM=offscreen XDG_CONFIG_HOME=" + dir_.file("config") + " " +
                          SLIMLAB_GUI + " --db " + db() + " --start " + spec,
                      reference.last_json(), /*attempts=*/6, 20261123);
}
#endif
