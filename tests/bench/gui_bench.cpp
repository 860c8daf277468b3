// The workbench's speed, measured (a benchmark, not a test: it prints):
//  1. redraws per second of the loss plot holding 1,000,000 points (target >= 30);
//  2. the GUI event loop's delay while a Fashion-MNIST run trains (target p99 < 50 ms);
//  3. training steps/s with the window attached against headless (target >= 95%).
//   QT_QPA_PLATFORM=offscreen build/release/tests/slimlab-bench-gui [epochs=2]
#include <qcustomplot.h>

#include <QApplication>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QTimer>
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <vector>

#include "loss_plot.h"
#include "main_window.h"
#include "run_controller.h"
#include "spec/experiment_spec.h"
#include "store/run_store.h"

using namespace slimlab;

namespace {

double percentile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[size_t(q * double(v.size() - 1) + 0.5)];
}

void bench_redraw() {
  LossPlot plot;
  plot.resize(1100, 650);
  plot.show();
  QVector<double> steps(1000000), loss(1000000);
  for (int i = 0; i < steps.size(); ++i) {
    steps[i] = i;
    loss[i] = 2.0 * std::exp(-i / 2e5) + 0.05 * std::sin(i * 0.01);
  }
  plot.setSeries("train/loss", steps, loss);
  plot.plot()->replot(QCustomPlot::rpImmediateRefresh);
  const int frames = 60;
  QElapsedTimer timer;
  timer.start();
  for (int i = 0; i < frames; ++i) {
    // Pan a little each frame, as a user dragging the plot does.
    plot.plot()->xAxis->setRange(i * 1000.0, 1000000.0 - i * 1000.0);
    plot.plot()->replot(QCustomPlot::rpImmediateRefresh);
  }
  double seconds = double(timer.nsecsElapsed()) / 1e9;
  std::printf("loss plot, 1,000,000 points, 1100x650: %.1f redraws/s (%.1f ms each)\n",
              frames / seconds, 1000 * seconds / frames);
}

ExperimentSpec fashion_spec(int64_t epochs) {
  auto spec = spec_from_json(
      load_json_file(std::string(SLIMLAB_SOURCE_DIR) + "/experiments/mlp-fashion.json"));
  spec.schedule.epochs = epochs;
  return spec;
}

// The same run through slimlab-cli (headless, no Qt in the process).
double headless_steps_per_second(const std::string& store, int64_t epochs) {
  const std::string out = store + ".out";
  std::string command =
      std::string(SLIMLAB_CLI) + " --db " + store + " run " + SLIMLAB_SOURCE_DIR +
      "/experiments/mlp-fashion.json --set schedule.epochs=" + std::to_string(epochs) +
      " --json --quiet >" + out;
  if (std::system(command.c_str()) != 0) return 0;
  std::ifstream in(out);
  std::string line, last;
  while (std::getline(in, line)) last = line.rfind("{", 0) == 0 ? line : last;
  return nlohmann::json::parse(last).value("steps_per_second", 0.0);
}

// Trains mlp-fashion in the window; with `probe`, a 10 ms timer records how late the event
// loop serves it. Returns the run's training steps/s.
double gui_run(const std::string& store, int64_t epochs, std::vector<double>* delays) {
  MainWindow window(QString::fromStdString(store));
  window.setInteractive(false);
  window.resize(1280, 760);
  window.show();
  QElapsedTimer clock;
  QTimer probe;
  probe.setTimerType(Qt::PreciseTimer);
  qint64 expected = 0;
  QObject::connect(&probe, &QTimer::timeout, [&] {
    qint64 now = clock.nsecsElapsed();
    if (expected > 0) delays->push_back(double(std::max<qint64>(0, now - expected)) / 1e6);
    expected = now + 10'000'000;  // The probe asks to run every 10 ms.
  });
  QEventLoop loop;
  qint64 run_id = 0;
  QObject::connect(&window, &MainWindow::runFinished, &loop, [&](qint64 id, const QString&) {
    run_id = id;
    loop.quit();
  });
  clock.start();
  if (delays != nullptr) probe.start(10);
  window.controller().enqueue(fashion_spec(epochs));
  loop.exec();
  probe.stop();
  RunStore s(store, RunStore::Access::ReadOnly);
  for (const auto& e : s.events(run_id)) {
    if (e.kind == "summary") {
      return nlohmann::json::parse(e.payload_json).value("steps_per_second", 0.0);
    }
  }
  return 0;
}

void bench_live(int64_t epochs) {
  auto dir = std::filesystem::temp_directory_path() / "slimlab-bench-gui";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  const std::string store = (dir / "runs.sqlite").string();
  std::vector<double> delays;
  gui_run(store, epochs, &delays);
  std::printf(
      "event loop while mlp-fashion trains (%lld epochs): delay p50 %.2f ms, p99 %.2f ms, "
      "max %.2f ms over %zu probes\n",
      (long long)epochs, percentile(delays, 0.5), percentile(delays, 0.99), percentile(delays, 1.0),
      delays.size());
  // Alternate headless and windowed runs: the machine's own drift hits both alike.
  std::vector<double> headless, attached;
  for (int round = 0; round < 2; ++round) {
    headless.push_back(headless_steps_per_second(store, epochs));
    attached.push_back(gui_run(store, epochs, nullptr));
    std::printf("training round %d: headless %.0f steps/s, with the window %.0f steps/s (%.1f%%)\n",
                round + 1, headless.back(), attached.back(),
                100 * attached.back() / headless.back());
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM")) qputenv("QT_QPA_PLATFORM", "offscreen");
  QApplication app(argc, argv);
  int64_t epochs = argc > 1 ? std::atoll(argv[1]) : 2;
  bench_redraw();
  bench_live(epochs);
  return 0;
}
