// The workbench window on a real store made by the real CLI, rendered offscreen.
#include <gtest/gtest.h>
#include <qcustomplot.h>

#include <QLabel>
#include <QListWidget>
#include <QStatusBar>
#include <cstdlib>

#include "../core/test_files.h"
#include "../widgets/qt_test_app.h"
#include "loss_plot.h"
#include "main_window.h"

using namespace slimlab;

TEST(MainWindowTest, ListsStoredRunsAndPlotsTheSelectedOne) {
  slimlab::testing::qt_app();
  slimlab::testing::TempDir dir;
  auto db = dir.file("runs.sqlite");
  std::string command = std::string(SLIMLAB_CLI) + " --db " + db + " run " + SLIMLAB_SOURCE_DIR +
                        "/experiments/mlp-spirals.json --quiet --set schedule.epochs=10 >/dev/null";
  ASSERT_EQ(std::system(command.c_str()), 0);

  MainWindow window(QString::fromStdString(db));
  window.show();
  auto* list = window.findChild<QListWidget*>();
  ASSERT_NE(list, nullptr);
  ASSERT_EQ(list->count(), 1);
  EXPECT_TRUE(list->item(0)->text().contains("mlp-spirals"));
  EXPECT_TRUE(list->item(0)->text().contains("finished"));
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

TEST(MainWindowTest, UnusableStoreIsReportedNotFatal) {
  slimlab::testing::qt_app();
  slimlab::testing::TempDir dir;
  slimlab::testing::write_file(dir.file("bad.sqlite"), "not a database");
  MainWindow window(QString::fromStdString(dir.file("bad.sqlite")));
  auto* list = window.findChild<QListWidget*>();
  EXPECT_EQ(list->count(), 0);
  bool reported = false;
  for (auto* label : window.statusBar()->findChildren<QLabel*>()) {
    reported = reported || label->text().contains("not a SlimLab run store");
  }
  EXPECT_TRUE(reported);
}
