// End-to-end tests of slimlab-cli: the real binary, a temporary store, real data files.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fcntl.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>
#include <thread>
#include <vector>

#include "cli_fixture.h"

using namespace slimlab::testing;

TEST_F(CliTest, RunStoresTheRunAndPrintsJsonSummary) {
  auto r = cli("run " + preset("mlp-spirals.json") + " --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = r.last_json();
  for (const char* key : {"run_id", "status", "test_accuracy", "test_loss", "params",
                          "train_seconds", "steps_per_second"}) {
    EXPECT_TRUE(j.contains(key)) << key;
  }
  EXPECT_EQ(j["status"], "finished");
  EXPECT_GE(j["test_accuracy"].get<double>(), 0.95);  // The preset's bar.
  EXPECT_GT(j["steps_per_second"].get<double>(), 0.0);
  EXPECT_NE(r.err.find("step 1160/1160"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("ETA"), std::string::npos);

  auto list = cli("list");
  ASSERT_EQ(list.exit_code, 0) << list.err;
  EXPECT_NE(list.out.find("mlp-spirals"), std::string::npos) << list.out;
  EXPECT_NE(list.out.find("finished"), std::string::npos);

  auto show = cli("show 1 --json");
  ASSERT_EQ(show.exit_code, 0) << show.err;
  auto s = show.last_json();
  EXPECT_EQ(s["name"], "mlp-spirals");
  EXPECT_EQ(s["spec"]["model"]["hidden"], json({64, 64}));
  EXPECT_DOUBLE_EQ(s["test/accuracy"].get<double>(), j["test_accuracy"].get<double>());
  EXPECT_EQ(cli("show " + j["run_uuid"].get<std::string>().substr(0, 8)).exit_code, 0);

  auto csv_path = dir_.file("metrics.csv");
  auto exported = cli("export 1 --csv " + csv_path);
  ASSERT_EQ(exported.exit_code, 0) << exported.err;
  std::ifstream csv(csv_path);
  std::string header, line;
  std::getline(csv, header);
  EXPECT_EQ(header, "run,key,step,value");
  int rows = 0, test_rows = 0;
  while (std::getline(csv, line)) {
    ++rows;
    if (line.rfind("1,test/accuracy,1160,", 0) == 0) ++test_rows;
  }
  EXPECT_GT(rows, 400);
  EXPECT_EQ(test_rows, 1);
}

TEST_F(CliTest, SameSeedSameFinalMetrics) {
  auto a = cli("run " + preset("mlp-spirals.json") + " " + kQuickSpirals + " --json --quiet");
  auto b = cli("run " + preset("mlp-spirals.json") + " " + kQuickSpirals + " --json --quiet");
  ASSERT_EQ(a.exit_code, 0) << a.err;
  ASSERT_EQ(b.exit_code, 0) << b.err;
  EXPECT_EQ(a.last_json()["test_loss"], b.last_json()["test_loss"]);
  EXPECT_EQ(a.last_json()["validation_loss"], b.last_json()["validation_loss"]);
  EXPECT_NE(a.last_json()["run_id"], b.last_json()["run_id"]);
}

TEST_F(CliTest, BadSpecsFailWithOneLineAndStoreNothing) {
  struct Case {
    std::string args;
    std::string message;
  };
  std::vector<Case> cases = {
      {"--set model.hiden=[3]", "model.hiden: unknown field; did you mean \"hidden\"?"},
      {"--set model.hidden=[64,-3]", "model.hidden[1]: must be between 1 and 65536, got -3"},
      {"--set data.dataset=idx --set data.path=/nonexistent/dir", "/nonexistent/dir"},
      {"--set optimizer.lr=abc", "optimizer.lr: must be a number, got \"abc\""},
      {"--sett x=1", "unknown option --sett; did you mean --set?"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.args);
    auto r = cli("run " + preset("mlp-spirals.json") + " " + c.args);
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find(c.message), std::string::npos) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  }
  EXPECT_FALSE(std::filesystem::exists(db())) << "a failed run must not create a store";
  write_file(dir_.file("broken.json"), "{\"name\": \"x\",");
  auto r = cli("run " + dir_.file("broken.json"));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("broken.json: not valid JSON"), std::string::npos) << r.err;
  EXPECT_EQ(cli("frobnicate").exit_code, 2);
}

TEST_F(CliTest, CorruptIdxFilesNameFileAndOffset) {
  auto data = dir_.file("idx");
  std::filesystem::create_directories(data);
  write_file(data + "/train-images-idx3-ubyte",
             std::string("\0\0\x08\x03\0\0\0\x0a\0\0\0\x1c\0\0\0\x1c", 16) + "short");
  write_file(data + "/train-labels-idx1-ubyte", "garbage!");
  write_file(data + "/t10k-images-idx3-ubyte", "x");
  write_file(data + "/t10k-labels-idx1-ubyte", "x");
  auto r =
      cli("run " + preset("mlp-fashion.json") + " --set data.dataset=idx --set data.path=" + data);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find(data + "/train-images-idx3-ubyte: truncated at byte 21"), std::string::npos)
      << r.err;
  write_file(data + "/train-images-idx3-ubyte", "NOTANIDXFILE");
  r = cli("run " + preset("mlp-fashion.json") + " --set data.dataset=idx --set data.path=" + data);
  EXPECT_NE(r.err.find("train-images-idx3-ubyte: wrong magic at byte 0"), std::string::npos)
      << r.err;
}

TEST_F(CliTest, RelativePathsInASpecFileMeanFilesBesideItAndSetPathsMeanHere) {
  // A classmate's folder: the spec and its data side by side, started from anywhere else.
  std::filesystem::create_directories(dir_.file("course/idx"));
  write_file(dir_.file("course/spec.json"),
             R"({"name": "mine", "data": {"dataset": "idx", "path": "idx"}})");
  auto r = cli("run " + dir_.file("course/spec.json"));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find(dir_.file("course/idx/")), std::string::npos) << r.err;  // Beside it.
  // A path typed on the command line is relative to the working directory (the shell's habit).
  r = cli("run " + dir_.file("course/spec.json") + " --set data.path=elsewhere");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find((std::filesystem::current_path() / "elsewhere").string()), std::string::npos)
      << r.err;
  EXPECT_FALSE(std::filesystem::exists(db()));
}

TEST_F(CliTest, TrainsOnAClassroomCsvTableAndNamesItsBadCells) {
  // Three named classes by which of three features is largest, plus a noise column.
  std::filesystem::create_directories(dir_.file("table"));
  std::mt19937 rng(7);
  std::uniform_real_distribution<double> u(-1.0, 1.0);
  const char* names[] = {"apple", "banana", "cherry"};
  for (const auto& [file, rows] : {std::pair{"train.csv", 1200}, std::pair{"test.csv", 300}}) {
    std::string text = "a,b,c,noise,fruit\n";
    for (int i = 0; i < rows; ++i) {
      double v[4] = {u(rng), u(rng), u(rng), u(rng)};
      int best = int(std::max_element(v, v + 3) - v);
      for (double x : v) text += std::to_string(x) + ",";
      text += std::string(names[best]) + "\n";
    }
    write_file(dir_.file("table/") + file, text);
  }
  write_file(dir_.file("table/spec.json"), R"({"name": "fruit", "data": {"dataset": "csv",
      "path": ".", "batch_size": 32}, "model": {"kind": "mlp", "hidden": [32]},
      "optimizer": {"lr": 0.01}, "schedule": {"epochs": 20}})");
  auto r = cli("run " + dir_.file("table/spec.json") + " --json --quiet");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_GE(r.last_json()["test_accuracy"].get<double>(), 0.95);
  auto shown = cli("show 1 --json").last_json();
  EXPECT_EQ(shown["spec"]["data"]["path"], dir_.file("table"));  // Stored absolute.

  // A cell that is not a number: the file, line and column, and nothing is stored.
  auto text = read_all(dir_.file("table/train.csv"));
  text.replace(text.find('\n', text.find('\n') + 1) + 1, 0, "0.5,n/a,0.1,0.2,apple\n");
  write_file(dir_.file("table/train.csv"), text);
  r = cli("run " + dir_.file("table/spec.json"));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find(dir_.file("table/train.csv") +
                       ": line 3, column \"b\": \"n/a\" is not a finite number"),
            std::string::npos)
      << r.err;
  EXPECT_EQ(cli("list --json").last_json().size(), 1u);
}

TEST_F(CliTest, UnusableStoresAreRefusedAndLeftAlone) {
  std::filesystem::create_directories(dir_.file("store"));
  write_file(db(), "this is a text file, not a database\n");
  auto r = cli("run " + preset("mlp-spirals.json") + " --quiet");
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_NE(r.err.find("not a SlimLab run store"), std::string::npos) << r.err;
  EXPECT_EQ(read_all(db()), "this is a text file, not a database\n");
  EXPECT_EQ(cli("list").exit_code, 3);

  std::filesystem::remove(db());
  ASSERT_EQ(cli("run " + preset("mlp-spirals.json") + " --quiet " + kQuickSpirals).exit_code, 0);
  ASSERT_EQ(cli("list").exit_code, 0);  // Settles the WAL before the file is made read-only.
  ::chmod(db().c_str(), 0444);
  r = cli("run " + preset("mlp-spirals.json") + " --quiet");
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_NE(r.err.find("read-only"), std::string::npos) << r.err;
  auto list = cli("list");  // Reading still works.
  EXPECT_EQ(list.exit_code, 0) << list.err;
  EXPECT_NE(list.out.find("mlp-spirals"), std::string::npos);
}

TEST_F(CliTest, CtrlCKeepsTheRunAndResumeFinishesItIdentically) {
  std::string spec = preset("mlp-spirals.json");
  std::string sets =
      "--set data.points=50000 --set schedule.epochs=6 "
      "--set schedule.checkpoint_interval_steps=50";
  auto reference = cli("run " + spec + " " + sets + " --json --quiet");
  ASSERT_EQ(reference.exit_code, 0) << reference.err;

  // Start the same run, wait for its first progress line (step 10), then press Ctrl-C.
  int err_pipe[2];
  ASSERT_EQ(pipe(err_pipe), 0);
  pid_t child = fork();
  if (child == 0) {
    dup2(err_pipe[1], STDERR_FILENO);
    int devnull = ::open("/dev/null", O_WRONLY);
    dup2(devnull, STDOUT_FILENO);
    std::string command = std::string(SLIMLAB_CLI) + " --db " + db() + " run " + spec + " " + sets;
    execl("/bin/sh", "sh", "-c", ("exec " + command).c_str(), (char*)nullptr);
    _exit(127);
  }
  close(err_pipe[1]);
  std::string seen;
  char buf[256];
  ssize_t n;
  while (seen.find("] step ") == std::string::npos &&
         (n = read(err_pipe[0], buf, sizeof buf)) > 0) {
    seen.append(buf, size_t(n));
  }
  kill(child, SIGINT);
  while (read(err_pipe[0], buf, sizeof buf) > 0) {
  }
  int status = 0;
  waitpid(child, &status, 0);
  close(err_pipe[0]);
  ASSERT_TRUE(WIFEXITED(status)) << seen;
  EXPECT_EQ(WEXITSTATUS(status), 130);

  auto shown = cli("show 2 --json").last_json();
  EXPECT_EQ(shown["status"], "cancelled");
  auto resumed = cli("resume 2 --json --quiet");
  ASSERT_EQ(resumed.exit_code, 0) << resumed.err;
  auto a = reference.last_json();
  auto b = resumed.last_json();
  EXPECT_EQ(b["run_id"], 2);
  EXPECT_EQ(b["status"], "finished");
  EXPECT_NEAR(b["test_loss"].get<double>(), a["test_loss"].get<double>(), 1e-6);
  EXPECT_EQ(b["test_accuracy"], a["test_accuracy"]);
  EXPECT_EQ(cli("resume 2").exit_code, 2);  // Finished runs have nothing to resume.
}

TEST_F(CliTest, DoctorReportsTheMachine) {
  auto r = cli("doctor --json");
  EXPECT_TRUE(r.exit_code == 0 || r.exit_code == 1) << r.err;
  for (const char* text : {"LibTorch", "BLAS", "GFLOP/s", "Fashion-MNIST", "Run store"}) {
    EXPECT_NE(r.out.find(text), std::string::npos) << text << "\n" << r.out;
  }
  auto j = r.last_json();
  EXPECT_GT(j["sgemm_gflops"].get<double>(), 0.0);
  EXPECT_EQ(j["torch"].get<std::string>().substr(0, 4), "1.13");
}

TEST_F(CliTest, DoctorSaysWhatToInstallWhenBlasIsSlow) {
  // Debian's reference BLAS (libblas3) sits beside OpenBLAS; point the loader at it.
  const std::string reference_dir = "/usr/lib/x86_64-linux-gnu/blas";
  if (!std::filesystem::exists(reference_dir + "/libblas.so.3")) {
    GTEST_SKIP() << "Debian's reference BLAS (libblas3) is not installed";
  }
  std::string command = "LD_LIBRARY_PATH=" + reference_dir + " " + SLIMLAB_CLI + " --db " + db() +
                        " doctor >" + dir_.file("out") + " 2>&1";
  int status = std::system(command.c_str());
  auto out = read_all(dir_.file("out"));
  EXPECT_EQ(WEXITSTATUS(status), 1) << out;
  EXPECT_NE(out.find("reference BLAS"), std::string::npos) << out;
  EXPECT_NE(out.find("sudo apt-get install libopenblas0-pthread"), std::string::npos) << out;
}

TEST_F(CliTest, MoeRunShowsExpertsAndExportsRouterSeries) {
  auto r = cli("run " + preset("moe-spirals.json") + " --json --quiet");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = r.last_json();
  EXPECT_GE(j["test_accuracy"].get<double>(), 0.95);  // The preset's bar.
  EXPECT_LT(j["params_active"].get<int64_t>(), j["params"].get<int64_t>());

  auto show = cli("show 1 --experts");
  ASSERT_EQ(show.exit_code, 0) << show.err;
  for (const char* text : {"Experts of run 1", "load CV", "first-choice expert", "test split"}) {
    EXPECT_NE(show.out.find(text), std::string::npos) << text << "\n" << show.out;
  }
  auto shown = cli("show 1 --experts --json").last_json();
  ASSERT_EQ(shown["experts"].size(), 1u);
  EXPECT_EQ(shown["experts"][0]["load"].size(), 4u);
  EXPECT_EQ(shown["experts"][0]["routing"]["test"]["counts"].size(), 8u);  // 2 classes x 4.

  auto csv_path = dir_.file("moe.csv");
  ASSERT_EQ(cli("export 1 --csv " + csv_path).exit_code, 0);
  auto csv = read_all(csv_path);
  EXPECT_NE(csv.find("1,moe/0/load/e3,"), std::string::npos);
  EXPECT_NE(csv.find("1,moe/0/load_cv,"), std::string::npos);
  EXPECT_NE(csv.find("1,train/aux_loss,"), std::string::npos);
}

TEST_F(CliTest, UpcyclingNeedsAFinishedDenseRun) {
  auto r = cli("run " + preset("moe-spirals.json") +
               " --set model.upcycle_from=nothing-like-this --quiet");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("model.upcycle_from:"), std::string::npos) << r.err;

  std::string dense =
      "--set model.moe.experts=1 --set model.moe.gate=top-k "
      "--set model.moe.top_k=1 --set name=dense --set schedule.epochs=5";
  ASSERT_EQ(cli("run " + preset("moe-spirals.json") + " " + dense + " --quiet").exit_code, 0);
  auto up = cli("run " + preset("moe-spirals.json") +
                " --set model.upcycle_from=dense --set schedule.epochs=5 --json --quiet");
  ASSERT_EQ(up.exit_code, 0) << up.err;
  auto shown = cli("show 2 --json").last_json();
  EXPECT_EQ(shown["name"], "moe-spirals");
  // The stored spec names the source by uuid, so a resume finds the same run.
  EXPECT_EQ(shown["spec"]["model"]["upcycle_from"], cli("show 1 --json").last_json()["uuid"]);
}

TEST_F(CliTest, DistillationWithBaselineReportsGapClosed) {
  ASSERT_EQ(cli("run " + preset("mlp-spirals.json") + " --quiet").exit_code, 0);  // Teacher.
  // The shell needs the JSON quoted.
  std::string student =
      "--set name=student --set model.hidden=[8] --set schedule.epochs=10 "
      "--set 'distill.teachers=[{\"run\":\"mlp-spirals\"}]' --set distill.temperature=2";
  auto r = cli("run " + preset("mlp-spirals.json") + " " + student + " --baseline --json --quiet");
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  auto j = r.last_json();
  EXPECT_EQ(j["run_id"], 3);  // 1 teacher, 2 student alone, 3 distilled.
  EXPECT_TRUE(j.contains("gap_closed")) << j.dump();
  EXPECT_GT(j["test_agreement"].get<double>(), 0.5);
  EXPECT_GT(j["test_teacher_accuracy"].get<double>(), 0.95);
  EXPECT_NE(r.out.find("teacher   run 1 (mlp-spirals)"), std::string::npos) << r.out;
  auto show = cli("show 3");
  EXPECT_NE(show.out.find("of the gap to the teacher"), std::string::npos) << show.out;
  auto list = cli("list --json").last_json();
  EXPECT_EQ(list[1]["name"], "student-alone");
  // A second run with --baseline reuses the matching student-alone run.
  auto again =
      cli("run " + preset("mlp-spirals.json") + " " + student + " --baseline --json --quiet");
  EXPECT_EQ(again.last_json()["run_id"], 4);
}

TEST_F(CliTest, BadTeachersAreRefusedBeforeAnythingIsStored) {
  write_file(dir_.file("fake.pt"), "not TorchScript");
  struct Case {
    std::string teacher, message;
  };
  for (const auto& c : {Case{"{\"run\":\"no-such-run\"}", "distill.teachers[0].run:"},
                        Case{"{\"torchscript\":\"" + dir_.file("fake.pt") + "\"}",
                             "fake.pt: not a TorchScript file"},
                        Case{"{\"safetensors\":\"" + dir_.file("none.safetensors") +
                                 "\",\"model\":{\"kind\":\"mlp\"}}",
                             "none.safetensors: cannot open"},
                        Case{"{\"run\":\"x\",\"torchscript\":\"y\"}", "give exactly one of"}}) {
    SCOPED_TRACE(c.teacher);
    auto r = cli("run " + preset("mlp-spirals.json") + " --set 'distill.teachers=[" + c.teacher +
                 "]' --quiet");
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_NE(r.err.find(c.message), std::string::npos) << r.err;
  }
  EXPECT_FALSE(std::filesystem::exists(db()));
}

TEST_F(CliTest, ExportedWeightsServeAsASafetensorsTeacher) {
  ASSERT_EQ(cli("run " + preset("mlp-spirals.json") + " --quiet").exit_code, 0);
  auto weights = dir_.file("spirals.safetensors");
  auto exported = cli("export 1 --safetensors " + weights);
  ASSERT_EQ(exported.exit_code, 0) << exported.err;
  EXPECT_NE(exported.out.find("Wrote 6 tensors of run 1"), std::string::npos) << exported.out;
  // The same architecture loaded from the file agrees with the stored run on every test point.
  auto r = cli("run " + preset("mlp-spirals.json") + " --set schedule.epochs=1 --set " +
               "'distill.teachers=[{\"safetensors\":\"" + weights +
               "\",\"model\":{\"kind\":\"mlp\",\"hidden\":[64,64]}}]' --json --quiet");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto teacher_run = cli("show 1 --json").last_json();
  EXPECT_DOUBLE_EQ(r.last_json()["test_teacher_accuracy"].get<double>(),
                   teacher_run["test/accuracy"].get<double>());
}

namespace {

constexpr const char* kQuickFashion =
    "--set data.train_subset=3000 --set data.test_subset=1000 --set schedule.epochs=2";

}  // namespace

TEST_F(CliTest, StructuredPruneRunReportsTheRealityAndShowsLayers) {
  if (!std::filesystem::exists("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz")) {
    GTEST_SKIP() << "dataset-fashion-mnist is not installed";
  }
  auto r = cli("run " + preset("prune-cnn-channels.json") + " " + kQuickFashion +
               " --set prune.start_step=5 --set prune.frequency=5 --set prune.rounds=4 --json "
               "--quiet");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto p = r.last_json()["prune"];
  EXPECT_EQ(p["criterion"], "l1-norm");
  EXPECT_LT(p["params_physical"].get<int64_t>(), p["params_dense"].get<int64_t>() / 2);
  EXPECT_LT(p["shrunk_max_abs_diff"].get<double>(), 1e-4);
  EXPECT_GT(p["latency_shrunk_ms"].get<double>(), 0.0);
  EXPECT_NE(r.out.find("latency   batch 256"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("add --baseline"), std::string::npos);

  auto show = cli("show 1 --layers");
  ASSERT_EQ(show.exit_code, 0) << show.err;
  for (const char* text : {"features.0", "features.3", "fc", "shrunk", "CSR", "speed-up"}) {
    EXPECT_NE(show.out.find(text), std::string::npos) << text << "\n" << show.out;
  }
  auto j = cli("show 1 --layers --json").last_json();
  EXPECT_EQ(j["layers"]["table"]["layers"][0]["name"], "features.0");
  // Per-layer sparsity over steps is in the metrics, for plots and CSV.
  auto csv = cli("export 1 --csv " + dir_.file("m.csv"));
  ASSERT_EQ(csv.exit_code, 0) << csv.err;
  EXPECT_NE(read_all(dir_.file("m.csv")).find("sparsity/features.0"), std::string::npos);
}

TEST_F(CliTest, SensitivityTrainsTheDenseRunOnceAndWritesCsv) {
  auto spec = dir_.file("sens.json");
  write_file(spec, R"({"name": "sens", "data": {"dataset": "moons", "points": 600},
    "model": {"kind": "mlp", "hidden": [16, 16]}, "schedule": {"epochs": 3},
    "prune": {"criterion": "magnitude", "sensitivity_sparsities": [0, 0.5, 0.9]}})");
  auto first = cli("sensitivity " + spec + " --csv " + dir_.file("s.csv") + " --quiet");
  ASSERT_EQ(first.exit_code, 0) << first.err;
  EXPECT_NE(first.out.find("trained now"), std::string::npos) << first.out;
  auto csv = read_all(dir_.file("s.csv"));
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 1 + 3 * 3) << csv;
  EXPECT_EQ(csv.rfind("layer,sparsity,accuracy,loss\nlayers.0,0,", 0), 0u) << csv;
  // The second analysis reuses the finished dense run instead of training again.
  auto second = cli("sensitivity " + spec + " --json --quiet");
  ASSERT_EQ(second.exit_code, 0) << second.err;
  EXPECT_EQ(second.out.find("trained now"), std::string::npos);
  EXPECT_EQ(second.last_json()["rows"].size(), 9u);
  EXPECT_EQ(cli("list --json").last_json().size(), 1u);
}

TEST_F(CliTest, BadPruneSectionsAreRefusedBeforeAnythingIsStored) {
  struct Case {
    const char* set;
    const char* message;
  };
  for (const auto& c : std::vector<Case>{
           {"--set prune.layers=[\\\"layers.7\\\"]", "prune.layers[0]: no layer \"layers.7\""},
           {"--set prune.sparsity=1.2", "prune.sparsity: must be between 0 and 1"},
           {"--set prune.criterion=n:m --set prune.n=5", "N must be below M"},
       }) {
    auto r = cli("run " + preset("prune-nm-2-4.json") + " " + c.set);
    EXPECT_EQ(r.exit_code, 2) << c.set << r.err;
    EXPECT_NE(r.err.find(c.message), std::string::npos) << r.err;
  }
  EXPECT_FALSE(std::filesystem::exists(db()));
}

TEST_F(CliTest, ModelsTooBigForMemoryAreRefusedBeforeAllocating) {
  // 4 x 65536^2 weights: about 275 GB to train with Adam. Refused with the estimate, at once.
  auto r = cli("run " + preset("mlp-spirals.json") +
               " --set model.hidden=[65536,65536,65536,65536,65536] --json --quiet");
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("model: 1.72e+10 parameters need about 274.9 GB"), std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("GB of memory is available"), std::string::npos) << r.err;
  EXPECT_EQ(cli("list --json").out, "[]\n");  // Nothing stored.
}

TEST_F(CliTest, AMethodWithoutItsOwnPrinterShowsItsSummaryInGenericForm) {
  // Low-rank factorisation has no printer of its own: run and show print its summary from the
  // registry (label, figures, the per-layer table).
  auto r = cli("run " + preset("mlp-spirals.json") + " " + kQuickSpirals +
               " --set lowrank.energy=0.9 --set lowrank.latency_batch=64 --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = r.last_json();
  ASSERT_TRUE(j.contains("lowrank")) << r.out;
  EXPECT_EQ(j["lowrank"]["layers"].size(), 2u);
  EXPECT_EQ(j["params"], j["lowrank"]["params"]);
  EXPECT_NE(r.out.find("Low-rank factorisation (lowrank)"), std::string::npos) << r.out;
  auto show = cli("show 1");
  ASSERT_EQ(show.exit_code, 0) << show.err;
  EXPECT_NE(show.out.find("Low-rank factorisation (lowrank)"), std::string::npos) << show.out;
  EXPECT_NE(show.out.find("latency.speedup"), std::string::npos) << show.out;
  EXPECT_NE(show.out.find("layers.2"), std::string::npos) << show.out;  // The table's rows.
  EXPECT_NE(show.out.find("\"layer_rank\""), std::string::npos);        // The pinned spec.
  auto bad = cli("run " + preset("mlp-spirals.json") + " --set lowrank.rank=100");
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_NE(bad.err.find("lowrank.rank: 100 is above the rank of layer layers.0 (min(m, n) = 2"),
            std::string::npos)
      << bad.err;
}
