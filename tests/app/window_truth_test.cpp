// The window shows the runs the user selected and a run's end, notices runs another process
// adds, and says what an empty tab is for. Offscreen, on real stores made by slimlab-cli.
#include <gtest/gtest.h>
#include <qcustomplot.h>

#include <QApplication>
#include <QFileInfo>
#include <QImage>
#include <QTabWidget>
#include <cstdlib>
#include <memory>
#include <string>

#include "../core/test_files.h"
#include "../widgets/qt_test_app.h"
#include "compare_view.h"
#include "expert_view.h"
#include "loss_plot.h"
#include "main_window.h"
#include "plane_view.h"
#include "run_controller.h"
#include "run_table.h"

using namespace slimlab;
using slimlab::testing::pump_until;

namespace {

void cli_run(const std::string& db, const std::string& preset, const std::string& sets) {
  std::string command = std::string(SLIMLAB_CLI) + " --db " + db + " run " + SLIMLAB_SOURCE_DIR +
                        "/experiments/" + preset + " --quiet " + sets + " >/dev/null";
  ASSERT_EQ(std::system(command.c_str()), 0) << command;
}

/// The window on `db` as a user sees it (1200x800, no message boxes).
std::unique_ptr<MainWindow> open_window(const std::string& db) {
  auto window = std::make_unique<MainWindow>(QString::fromStdString(db));
  window->setInteractive(false);
  window->resize(1200, 800);
  window->show();
  return window;
}

QWidget* tab(MainWindow& window, const QString& name) {
  for (int i = 0; i < window.tabs()->count(); ++i) {
    if (window.tabs()->tabText(i) == name) return window.tabs()->widget(i);
  }
  return nullptr;
}

QString plot_title(QCustomPlot* plot) {
  auto* title = qobject_cast<QCPTextElement*>(plot->plotLayout()->element(0, 0));
  return title == nullptr ? QString() : title->text();
}

QStringList overlay_names(CompareView* compare) {
  QStringList names;
  for (int i = 0; i < compare->overlayPlot()->graphCount(); ++i) {
    names << compare->overlayPlot()->graph(i)->name();
  }
  return names;
}

}  // namespace

TEST(WindowTruthTest, CompareTabFollowsTheSelectionAndExportsWhatItShows) {
  slimlab::testing::qt_app();
  slimlab::testing::TempDir dir;
  auto db = dir.file("runs.sqlite");
  for (const char* hidden : {"[8]", "[16]", "[32]"}) {
    cli_run(db, "mlp-spirals.json",
            std::string("--set schedule.epochs=2 --set model.hidden=") + hidden);
  }
  auto opened = open_window(db);
  MainWindow& window = *opened;
  auto* runs = window.findChild<RunTable*>();
  ASSERT_TRUE(pump_until([&] { return runs->selectedIds().size() == 1; }, 30));
  auto* compare = window.findChild<CompareView*>();
  // Opened with one run selected: the Pareto plot holds every run of the store at once.
  window.tabs()->setCurrentWidget(tab(window, "Compare"));
  ASSERT_TRUE(pump_until([&] { return compare->overlayPlot()->graphCount() == 1; }, 30));
  auto* points = qobject_cast<QCPCurve*>(compare->paretoPlot()->plottable(0));
  ASSERT_NE(points, nullptr);
  EXPECT_EQ(points->dataCount(), 3);
  EXPECT_TRUE(window.tabMessage(tab(window, "Compare")).isEmpty());

  // Two rows selected: the overlay shows those two, nothing else, without touching the tab.
  runs->table()->selectRow(0);
  runs->table()->selectionModel()->select(runs->table()->model()->index(1, 0),
                                          QItemSelectionModel::Select | QItemSelectionModel::Rows);
  auto ids = runs->selectedIds();
  ASSERT_EQ(ids.size(), 2u);
  ASSERT_TRUE(pump_until([&] { return compare->overlayPlot()->graphCount() == 2; }, 30));
  for (auto id : ids) {
    EXPECT_TRUE(overlay_names(compare).join(' ').contains(QString("#%1 ").arg(id)));
  }
  // Re-reading the store (F5, or another process writing) keeps both rows and both curves.
  bool reloaded = false;
  QObject::connect(&window, &MainWindow::runsLoaded, [&] { reloaded = true; });
  window.reloadRuns();
  ASSERT_TRUE(pump_until([&] { return reloaded; }, 30));
  pump_until([] { return false; }, 0.5);
  EXPECT_EQ(runs->selectedIds(), ids);
  EXPECT_EQ(compare->overlayPlot()->graphCount(), 2);
  // Back to one run, the Compare tab still in front: it follows.
  runs->select(ids[1]);
  ASSERT_TRUE(pump_until([&] { return compare->overlayPlot()->graphCount() == 1; }, 30));
  EXPECT_TRUE(overlay_names(compare).front().startsWith(QString("#%1 ").arg(ids[1])));

  // A click on a Pareto point opens its run on the Loss tab, and the Compare tab lets it be.
  Q_EMIT compare->runActivated(ids[0]);
  EXPECT_EQ(window.tabs()->currentWidget(), tab(window, "Loss"));
  ASSERT_TRUE(pump_until([&] { return window.shownRun().id == ids[0]; }, 30));
  pump_until([] { return false; }, 1.0);
  EXPECT_EQ(window.tabs()->currentWidget(), tab(window, "Loss"));
  EXPECT_EQ(runs->selectedIds(), std::vector<qint64>{ids[0]});
  window.tabs()->setCurrentWidget(tab(window, "Compare"));
  ASSERT_TRUE(pump_until(
      [&] {
        return overlay_names(compare).size() == 1 &&
               overlay_names(compare).front().startsWith(QString("#%1 ").arg(ids[0]));
      },
      30));

  // The export is the tab as shown: both plots and the table, at twice the pixels.
  auto png = QString::fromStdString(dir.file("compare.png"));
  ASSERT_TRUE(window.exportTab(png));
  QImage image(png);
  EXPECT_EQ(image.width(), 2 * window.tabs()->currentWidget()->width());
  auto pdf = QString::fromStdString(dir.file("compare.pdf"));
  ASSERT_TRUE(window.exportTab(pdf));
  EXPECT_GT(QFileInfo(pdf).size(), 1000);
}

TEST(WindowTruthTest, ALiveRunIsHighlightedAndEndsAsTheStoredRunWithItsPlaneMaps) {
  slimlab::testing::qt_app();
  slimlab::testing::TempDir dir;
  auto db = dir.file("runs.sqlite");
  cli_run(db, "mlp-spirals.json", "--set schedule.epochs=1");  // Selected when the window opens.
  auto spec = dir.file("moe.json");
  slimlab::testing::write_file(spec, R"({"name": "moe-short", "seed": 1,
      "data": {"dataset": "spirals", "points": 3000, "test_points": 300, "noise": 0.02},
      "model": {"kind": "moe-mlp", "width": 32, "blocks": 1,
                "moe": {"experts": 4, "hidden": 32, "gate": "switch"}},
      "optimizer": {"kind": "adam", "lr": 0.01},
      "schedule": {"epochs": 30, "log_interval_steps": 5}})");
  auto opened = open_window(db);
  MainWindow& window = *opened;
  auto* runs = window.findChild<RunTable*>();
  ASSERT_TRUE(pump_until([&] { return runs->selectedIds().size() == 1; }, 30));
  QWidget* plane = tab(window, "Plane");
  window.tabs()->setCurrentWidget(plane);
  qint64 finished = 0;
  QObject::connect(&window, &MainWindow::runFinished,
                   [&](qint64 id, const QString&) { finished = id; });
  ASSERT_TRUE(window.startSpecFile(QString::fromStdString(spec)));
  // The row highlighted is the run that trains, and the plane says when its maps come.
  ASSERT_TRUE(pump_until([&] { return window.controller().live().run_id() > 0; }, 60));
  const qint64 live = window.controller().live().run_id();
  EXPECT_TRUE(pump_until(
      [&] { return runs->selectedIds() == std::vector<qint64>{live} || finished != 0; }, 30));
  EXPECT_EQ(runs->selectedIds(), std::vector<qint64>{live});
  if (finished == 0) {
    EXPECT_TRUE(window.tabMessage(plane).contains("appear when"));
  }

  ASSERT_TRUE(pump_until([&] { return finished != 0; }, 300));
  EXPECT_EQ(finished, live);
  // Without deselecting: the maps of the finished run, and a title that is no longer live.
  ASSERT_TRUE(pump_until([&] { return window.tabMessage(plane).isEmpty(); }, 60))
      << window.tabMessage(plane).toStdString();
  auto* maps = window.findChild<PlaneView*>();
  auto* decision = qobject_cast<QCPColorMap*>(maps->decisionPlot()->plottable(0));
  ASSERT_NE(decision, nullptr);
  EXPECT_GT(decision->data()->keySize(), 0);
  ASSERT_NE(maps->expertPlot()->plottable(0), nullptr);
  auto title = plot_title(window.findChild<LossPlot*>()->plot());
  EXPECT_FALSE(title.startsWith("Training")) << title.toStdString();
  EXPECT_TRUE(title.contains("finished")) << title.toStdString();
  EXPECT_EQ(runs->selectedIds(), std::vector<qint64>{live});
}

TEST(WindowTruthTest, RunsAnotherProcessAddsAppearWithoutReopening) {
  slimlab::testing::qt_app();
  slimlab::testing::TempDir dir;
  auto db = dir.file("runs.sqlite");
  cli_run(db, "mlp-spirals.json", "--set schedule.epochs=1");
  MainWindow window(QString::fromStdString(db));
  window.setInteractive(false);
  window.show();
  auto* runs = window.findChild<RunTable*>();
  ASSERT_TRUE(pump_until([&] { return runs->table()->rowCount() == 1; }, 30));
  // slimlab-cli, side by side with the window, adds a run to the open store.
  cli_run(db, "mlp-spirals.json", "--set schedule.epochs=1 --set name=\\\"from-cli\\\"");
  ASSERT_TRUE(pump_until([&] { return runs->table()->rowCount() == 2; }, 10))
      << "the window did not notice the new run";
  bool listed = false;
  for (const auto& r : runs->runs())
    listed = listed || (r.name == "from-cli" && r.status == "finished");
  EXPECT_TRUE(listed);
}

TEST(WindowTruthTest, TabsThatDoNotApplySayWhatTheyShowAndWhen) {
  slimlab::testing::qt_app();
  slimlab::testing::TempDir dir;
  auto db = dir.file("runs.sqlite");
  cli_run(db, "mlp-spirals.json", "--set schedule.epochs=1");
  cli_run(db, "mlp-fashion.json",
          "--set schedule.epochs=1 --set data.train_subset=512 --set data.test_subset=256");
  MainWindow window(QString::fromStdString(db));
  window.setInteractive(false);
  window.show();
  auto* runs = window.findChild<RunTable*>();
  ASSERT_TRUE(pump_until([&] { return runs->table()->rowCount() == 2; }, 30));
  runs->select(1);  // The dense spirals MLP: no experts, no pruning, no teacher.
  ASSERT_TRUE(pump_until([&] { return window.shownRun().id == 1; }, 30));
  EXPECT_TRUE(window.tabMessage(tab(window, "Experts")).contains("no MoE layer"));
  EXPECT_TRUE(window.tabMessage(tab(window, "Sparsity")).contains("prunes nothing"));
  EXPECT_TRUE(window.tabMessage(tab(window, "Distillation")).contains("no teacher"));
  // The spirals run has its maps; the Fashion-MNIST run says why it has none.
  EXPECT_TRUE(pump_until([&] { return window.tabMessage(tab(window, "Plane")).isEmpty(); }, 60));
  runs->select(2);
  ASSERT_TRUE(pump_until([&] { return window.shownRun().id == 2; }, 30));
  EXPECT_TRUE(window.tabMessage(tab(window, "Plane")).contains("fashion-mnist"))
      << window.tabMessage(tab(window, "Plane")).toStdString();
}

TEST(WindowTruthTest, AnotherStoreReplacesEverythingShownAndAnIdleStoreIsNotReread) {
  slimlab::testing::qt_app();
  slimlab::testing::TempDir dir;
  auto first = dir.file("first.sqlite"), second = dir.file("second.sqlite");
  cli_run(first, "mlp-spirals.json", "--set schedule.epochs=1 --set name=\\\"first-a\\\"");
  cli_run(first, "mlp-spirals.json", "--set schedule.epochs=1 --set name=\\\"first-b\\\"");
  cli_run(second, "mlp-spirals.json", "--set schedule.epochs=1 --set name=\\\"second\\\"");
  MainWindow window(QString::fromStdString(first));
  window.setInteractive(false);
  window.show();
  auto* runs = window.findChild<RunTable*>();
  ASSERT_TRUE(pump_until([&] { return window.shownRun().id > 0; }, 30));
  runs->select(2);
  ASSERT_TRUE(pump_until([&] { return window.shownRun().name == "first-b"; }, 30));

  // Nothing writes: the window reads the store no more (its own reads touch only "-shm").
  int reloads = 0;
  QObject::connect(&window, &MainWindow::runsLoaded, [&] { ++reloads; });
  pump_until([] { return false; }, 3.0);
  EXPECT_EQ(reloads, 0);

  // Run ids start at 1 in every store: nothing of the first store may stay selected or drawn.
  ASSERT_TRUE(window.openStorePath(QString::fromStdString(second)));
  ASSERT_TRUE(pump_until([&] { return window.shownRun().name == "second"; }, 30))
      << window.shownRun().name.toStdString();
  EXPECT_EQ(runs->selectedIds(), std::vector<qint64>{1});
  EXPECT_EQ(runs->table()->rowCount(), 1);
  EXPECT_TRUE(plot_title(window.findChild<LossPlot*>()->plot()).contains("second"));
}

TEST(WindowTruthTest, TheTabInFrontRedrawsForEachSelectedRun) {
  slimlab::testing::qt_app();
  slimlab::testing::TempDir dir;
  auto db = dir.file("runs.sqlite");
  cli_run(db, "moe-spirals.json", "--set schedule.epochs=2 --set model.moe.experts=4");
  cli_run(db, "moe-spirals.json", "--set schedule.epochs=2 --set model.moe.experts=6");
  MainWindow window(QString::fromStdString(db));
  window.setInteractive(false);
  window.resize(1200, 800);
  window.show();
  auto* runs = window.findChild<RunTable*>();
  ASSERT_TRUE(pump_until([&] { return window.shownRun().id > 0; }, 30));
  window.tabs()->setCurrentWidget(tab(window, "Experts"));
  auto* experts = window.findChild<ExpertView*>();
  auto bars = [&] {  // Live and dead experts' bars together: one per expert.
    int n = 0;
    for (int i = 0; i < experts->barsPlot()->plottableCount(); ++i) {
      n += experts->barsPlot()->plottable(i)->interface1D()->dataCount();
    }
    return n;
  };
  // The Experts tab stays in front while the selection moves: it draws each run's experts.
  for (auto [id, expected] : {std::pair{1, 4}, std::pair{2, 6}, std::pair{1, 4}}) {
    runs->select(id);
    ASSERT_TRUE(pump_until([&] { return window.shownRun().id == id; }, 30));
    EXPECT_TRUE(pump_until([&] { return bars() == expected; }, 10))
        << "run " << id << ": " << bars() << " bars";
  }
}

// The screenshot modes say what is wrong instead of waiting for a run that never comes.
TEST(WindowTruthTest, ScreenshotsOfARunTheStoreLacksEndWithItsName) {
  slimlab::testing::qt_app();
  slimlab::testing::TempDir dir;
  auto db = dir.file("runs.sqlite");
  cli_run(db, "mlp-spirals.json", "--set schedule.epochs=1");
  auto opened = open_window(db);
  QString error = "not called";
  opened->saveTabScreenshots(QString::fromStdString(dir.file("shots")), 99,
                             [&](const QString& e) { error = e; });
  ASSERT_TRUE(pump_until([&] { return error != "not called"; }, 30));
  EXPECT_TRUE(error.contains("has no run #99")) << error.toStdString();
  error = "not called";
  opened->saveCompareScreenshot(QString::fromStdString(dir.file("c.png")), {1, 42},
                                [&](const QString& e) { error = e; });
  opened->reloadRuns();
  ASSERT_TRUE(pump_until([&] { return error != "not called"; }, 30));
  EXPECT_TRUE(error.contains("#42") && !error.contains("#1")) << error.toStdString();
}
