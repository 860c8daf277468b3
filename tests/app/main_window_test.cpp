// The workbench window on real stores, rendered offscreen; one end-to-end run through the GUI.
#include <gtest/gtest.h>
#include <qcustomplot.h>

#include <QElapsedTimer>
#include <QEventLoop>
#include <QLabel>
#include <QListWidget>
#include <QStatusBar>
#include <QThread>
#include <QTimer>
#include <cstdlib>
#include <set>

#include "../core/test_files.h"
#include "../widgets/qt_test_app.h"
#include "compare_view.h"
#include "loss_plot.h"
#include "main_window.h"
#include "plane_view.h"
#include "run_controller.h"
#include "run_loading.h"
#include "run_table.h"
#include "store/run_store.h"

using namespace slimlab;
using slimlab::testing::pump_until;

namespace {

/// Runs the event loop until `signal` fires or `seconds` pass; true when it fired.
template <typename Signal>
bool wait_for(MainWindow& window, Signal signal, int seconds) {
  QEventLoop loop;
  bool fired = false;
  QObject::connect(&window, signal, &loop, [&] {
    fired = true;
    loop.quit();
  });
  QTimer::singleShot(seconds * 1000, &loop, &QEventLoop::quit);
  loop.exec();
  return fired;
}

}  // namespace

TEST(MainWindowTest, ListsStoredRunsAndPlotsTheSelectedOne) {
  slimlab::testing::qt_app();
  slimlab::testing::TempDir dir;
  auto db = dir.file("runs.sqlite");
  std::string command = std::string(SLIMLAB_CLI) + " --db " + db + " run " + SLIMLAB_SOURCE_DIR +
                        "/experiments/mlp-spirals.json --quiet --set schedule.epochs=10 >/dev/null";
  ASSERT_EQ(std::system(command.c_str()), 0);

  MainWindow window(QString::fromStdString(db));
  window.setInteractive(false);
  window.show();
  ASSERT_TRUE(wait_for(window, &MainWindow::runShown, 30));  // The list loads, then the run.
  auto* runs = window.findChild<RunTable*>();
  ASSERT_EQ(runs->table()->rowCount(), 1);
  EXPECT_EQ(runs->table()->item(0, 1)->text(), "mlp-spirals");
  EXPECT_EQ(runs->table()->item(0, 3)->text(), "finished");
  auto* plot = window.findChild<LossPlot*>();
  ASSERT_NE(plot, nullptr);
  EXPECT_GT(plot->plot()->graph(0)->dataCount(), 20);  // train/loss every 10 of 290 steps.
  EXPECT_EQ(plot->plot()->graph(1)->dataCount(), 10);  // validation/loss once per epoch.
  QApplication::processEvents();
  auto shot = window.grab();
  EXPECT_FALSE(shot.isNull());
  // Kept for people to look at: build/release/tests/main_window.png.
  shot.save("main_window.png");
}

TEST(MainWindowTest, StartsThePresetLiveAndTheStoreKeepsTheRun) {
  slimlab::testing::qt_app();
  slimlab::testing::TempDir dir;
  auto db = dir.file("runs.sqlite");
  MainWindow window(QString::fromStdString(db));
  window.setInteractive(false);
  window.show();
  // The shipped 2-D preset, as a user double-clicks it: 40 epochs of the spirals.
  ASSERT_TRUE(window.startSpecFile(QString(SLIMLAB_SOURCE_DIR) + "/experiments/mlp-spirals.json"));
  EXPECT_TRUE(window.controller().busy());
  ASSERT_TRUE(wait_for(window, &MainWindow::runFinished, 300));
  EXPECT_FALSE(window.controller().busy());
  // The live curve holds every logged step the store holds.
  auto* plot = window.findChild<LossPlot*>();
  int live_points = plot->plot()->graph(0)->dataCount();
  RunStore store(db, RunStore::Access::ReadOnly);
  auto runs = store.list_runs();
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].status, "finished");
  EXPECT_EQ(runs[0].name, "mlp-spirals");
  EXPECT_EQ(int(store.series(runs[0].id, "train/loss").size()), live_points);
  EXPECT_GE(live_points, 1160 / 10);
  EXPECT_GE(window.shownRun().last("validation/accuracy"), 0.95);
}

// The worker/GUI hand-off under control: pause holds the trainer between batches while the
// window keeps drawing, resume goes on, stop keeps the run as cancelled and drops the queue.
// (Also the test the ThreadSanitizer preset runs.)
TEST(MainWindowTest, PauseHoldsTheRunResumeGoesOnAndStopKeepsItCancelled) {
  slimlab::testing::qt_app();
  slimlab::testing::TempDir dir;
  auto db = dir.file("runs.sqlite");
  auto spec = dir.file("long.json");
  slimlab::testing::write_file(spec, R"({"name": "long", "data": {"dataset": "spirals",
      "points": 4000}, "model": {"kind": "mlp", "hidden": [64, 64]},
      "schedule": {"epochs": 400, "log_interval_steps": 5}})");
  MainWindow window(QString::fromStdString(db));
  window.setInteractive(false);
  window.show();
  ASSERT_TRUE(window.startSpecFile(QString::fromStdString(spec)));
  ASSERT_TRUE(window.startSpecFile(QString::fromStdString(spec)));  // Queued behind it.
  EXPECT_EQ(window.controller().queued(), 1);
  auto& live = window.controller().live();
  ASSERT_TRUE(pump_until([&] { return live.step() > 20; }, 60));

  window.controller().pause();
  EXPECT_TRUE(window.controller().paused());
  // The batch in flight ends: wait until the step stands still for 0.3 s (a loaded machine may
  // take a while), then watch it stay there.
  int64_t held = -1;
  for (int i = 0; i < 20 && live.step() != held; ++i) {
    held = live.step();
    pump_until([] { return false; }, 0.3);
  }
  pump_until([] { return false; }, 0.5);
  EXPECT_EQ(live.step(), held) << "a paused run trained on";

  window.controller().resume();
  EXPECT_TRUE(pump_until([&] { return live.step() > held + 10; }, 30)) << "resume did not go on";

  QString status;
  QObject::connect(&window, &MainWindow::runFinished,
                   [&](qint64, const QString& s) { status = s; });
  window.controller().stop();
  ASSERT_TRUE(pump_until([&] { return !status.isEmpty(); }, 30));
  EXPECT_EQ(status, "cancelled");
  pump_until([&] { return !window.controller().busy(); }, 10);
  EXPECT_FALSE(window.controller().busy());
  EXPECT_EQ(window.controller().queued(), 0);
  RunStore store(db, RunStore::Access::ReadOnly);
  auto runs = store.list_runs();
  ASSERT_EQ(runs.size(), 1u) << "stop must drop the queued run";
  EXPECT_EQ(runs[0].status, "cancelled");
  // The live curve and the store agree on what was logged before the stop.
  EXPECT_EQ(store.series(runs[0].id, "train/loss").back().step,
            int64_t(window.shownRun().metrics.at("train/loss").back().step));
}

TEST(MainWindowTest, InvalidSpecStartsNothingAndNamesTheField) {
  slimlab::testing::qt_app();
  slimlab::testing::TempDir dir;
  auto spec = dir.file("bad.json");
  slimlab::testing::write_file(spec, R"({"data": {"dataset": "spirals"},
      "prune": {"sparsity": 1.5}})");
  MainWindow window(QString::fromStdString(dir.file("runs.sqlite")));
  window.setInteractive(false);
  QString shown;
  QObject::connect(&window, &MainWindow::problem,
                   [&](const QString&, const QString& text) { shown = text; });
  EXPECT_FALSE(window.startSpecFile(QString::fromStdString(spec)));
  EXPECT_FALSE(window.controller().busy());
  EXPECT_TRUE(shown.contains("prune.sparsity")) << shown.toStdString();
}

TEST(MainWindowTest, UnusableStoreIsReportedAndTheCurrentOneStaysOpen) {
  slimlab::testing::qt_app();
  slimlab::testing::TempDir dir;
  slimlab::testing::write_file(dir.file("bad.sqlite"), "not a database");
  MainWindow window(QString::fromStdString(dir.file("good.sqlite")));
  window.setInteractive(false);
  QString shown;
  QObject::connect(&window, &MainWindow::problem,
                   [&](const QString&, const QString& text) { shown = text; });
  EXPECT_FALSE(window.openStorePath(QString::fromStdString(dir.file("bad.sqlite"))));
  EXPECT_TRUE(shown.contains("not a SlimLab run store")) << shown.toStdString();
  bool still_good = false;
  for (auto* label : window.statusBar()->findChildren<QLabel*>()) {
    still_good = still_good || label->text().contains("good.sqlite");
  }
  EXPECT_TRUE(still_good);
}

TEST(MainWindowTest, ComparesSelectedRunsSideBySide) {
  slimlab::testing::qt_app();
  slimlab::testing::TempDir dir;
  auto db = dir.file("runs.sqlite");
  for (const char* hidden : {"[16]", "[64,64]"}) {
    std::string command = std::string(SLIMLAB_CLI) + " --db " + db + " run " + SLIMLAB_SOURCE_DIR +
                          "/experiments/mlp-spirals.json --quiet --set schedule.epochs=4 "
                          "--set model.hidden=" +
                          hidden + " >/dev/null";
    ASSERT_EQ(std::system(command.c_str()), 0);
  }
  MainWindow window(QString::fromStdString(db));
  window.setInteractive(false);
  window.show();
  ASSERT_TRUE(wait_for(window, &MainWindow::runsLoaded, 30));
  auto* runs = window.findChild<RunTable*>();
  runs->table()->selectAll();
  ASSERT_TRUE(wait_for(window, &MainWindow::compareShown, 30));
  auto* compare = window.findChild<CompareView*>();
  EXPECT_EQ(compare->overlayPlot()->graphCount(), 2);
  EXPECT_GT(compare->overlayPlot()->graph(1)->dataCount(), 0);
  // Only the field that differs is listed: the hidden widths.
  ASSERT_EQ(compare->diffTable()->rowCount(), 1);
  EXPECT_EQ(compare->diffTable()->item(0, 0)->text(), "model.hidden");
  EXPECT_EQ(compare->diffTable()->item(0, 1)->text(), "[16]");
  auto* points = qobject_cast<QCPCurve*>(compare->paretoPlot()->plottable(0));
  EXPECT_EQ(points->dataCount(), 2);  // Accuracy against parameters, one point per run.
  window.grab().save("compare.png");
}

TEST(MainWindowTest, PlaneMapsShowDecisionsAndWinningExpertsOfA2dMixture) {
  slimlab::testing::qt_app();
  slimlab::testing::TempDir dir;
  auto db = dir.file("runs.sqlite");
  std::string command = std::string(SLIMLAB_CLI) + " --db " + db + " run " + SLIMLAB_SOURCE_DIR +
                        "/experiments/moe-spirals.json --quiet >/dev/null";
  ASSERT_EQ(std::system(command.c_str()), 0);
  auto m = plane_map(db, 1, 50);
  ASSERT_EQ(m.size, 50);
  ASSERT_EQ(m.decision.size(), 2500u);
  ASSERT_EQ(m.expert.size(), 2500u);
  EXPECT_EQ(m.experts, 4);
  std::set<int> classes(m.decision.begin(), m.decision.end());
  std::set<int> experts(m.expert.begin(), m.expert.end());
  EXPECT_EQ(classes, (std::set<int>{0, 1}));  // Both spirals get their region.
  EXPECT_GE(experts.size(), 2u);              // The router splits the plane.
  for (int e : experts) EXPECT_LT(e, 4);
  EXPECT_FALSE(m.px.empty());
  PlaneView view;
  view.setMaps(m.size, m.x0, m.x1, m.y0, m.y1, m.classes, m.experts, m.decision, m.expert, m.px,
               m.py, m.label);
  auto* map = qobject_cast<QCPColorMap*>(view.expertPlot()->plottable(0));
  ASSERT_NE(map, nullptr);
  EXPECT_EQ(map->data()->keySize(), 50);
}
