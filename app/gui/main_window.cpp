#include "main_window.h"

#include <QAction>
#include <QFileDialog>
#include <QFileInfo>
#include <QLabel>
#include <QListWidget>
#include <QMenuBar>
#include <QSettings>
#include <QSplitter>
#include <QStatusBar>

#include "loss_plot.h"
#include "store/run_store.h"

namespace slimlab {

MainWindow::MainWindow(QString storePath, QWidget* parent)
    : QMainWindow(parent),
      storePath_(std::move(storePath)),
      runList_(new QListWidget(this)),
      lossPlot_(new LossPlot(this)),
      storeLabel_(new QLabel(this)) {
  setWindowTitle("SlimLab");
  auto* splitter = new QSplitter(this);
  splitter->addWidget(runList_);
  splitter->addWidget(lossPlot_);
  splitter->setStretchFactor(1, 3);
  splitter->setSizes({330, 770});  // Room for "#12  kd-two-teachers  [finished]  88.58%".
  setCentralWidget(splitter);
  statusBar()->addWidget(storeLabel_);

  auto* file = menuBar()->addMenu(tr("&File"));
  auto* open = file->addAction(tr("&Open store..."), this, &MainWindow::openStore);
  open->setShortcut(QKeySequence::Open);
  auto* quit = file->addAction(tr("&Quit"), this, &QWidget::close);
  quit->setShortcut(QKeySequence::Quit);

  connect(runList_, &QListWidget::currentRowChanged, this, [this](int row) {
    if (row >= 0) showRun(runList_->item(row)->data(Qt::UserRole).toLongLong());
  });
  resize(1100, 650);
  reloadRuns();
}

void MainWindow::openStore() {
  auto path = QFileDialog::getOpenFileName(this, tr("Open run store"), storePath_,
                                           tr("SlimLab run stores (*.sqlite);;All files (*)"));
  if (path.isEmpty()) return;
  storePath_ = path;
  QSettings().setValue("store/last", storePath_);
  reloadRuns();
}

void MainWindow::reloadRuns() {
  runList_->clear();
  lossPlot_->clear();
  try {
    if (QFileInfo::exists(storePath_)) {
      fillRunList();
      storeLabel_->setText(tr("Store: %1 (%2 runs)").arg(storePath_).arg(runList_->count()));
    } else {
      storeLabel_->setText(
          tr("Store: %1 (not created yet: the first run creates it)").arg(storePath_));
    }
  } catch (const std::exception& e) {
    storeLabel_->setText(tr("Store: %1").arg(QString::fromStdString(e.what())));
  }
  if (runList_->count() > 0) {
    runList_->setCurrentRow(runList_->count() - 1);
  } else {
    lossPlot_->setTitle(
        tr("No runs in this store yet. Start one from a terminal:\n"
           "slimlab-cli run experiments/mlp-fashion.json"));
  }
}

void MainWindow::fillRunList() {
  // The store of a course is small; reading its run list takes milliseconds. Live runs will
  // arrive through the worker bridge, never by polling the file.
  RunStore store(storePath_.toStdString(), RunStore::Access::ReadOnly);
  for (const auto& run : store.list_runs()) {
    auto acc = store.last_value(run.id, "test/accuracy");
    auto label = QString("#%1  %2  [%3]%4")
                     .arg(run.id)
                     .arg(QString::fromStdString(run.name))
                     .arg(QString::fromStdString(run.status))
                     .arg(acc ? QString("  %1%").arg(100 * *acc, 0, 'f', 2) : QString());
    auto* item = new QListWidgetItem(label, runList_);
    item->setData(Qt::UserRole, qint64(run.id));
  }
}

void MainWindow::showRun(qint64 runId) {
  try {
    RunStore store(storePath_.toStdString(), RunStore::Access::ReadOnly);
    auto run = store.get_run(runId);
    lossPlot_->clear();
    for (const char* key :
         {"train/loss", "validation/loss", "train/accuracy", "validation/accuracy"}) {
      QVector<double> steps, values;
      for (const auto& row : store.series(runId, key)) {
        steps.push_back(double(row.step));
        values.push_back(row.value);
      }
      lossPlot_->setSeries(key, steps, values);
    }
    lossPlot_->setTitle(QString("Run %1: %2").arg(runId).arg(QString::fromStdString(run.name)));
  } catch (const std::exception& e) {
    statusBar()->showMessage(QString::fromStdString(e.what()), 10000);
  }
}

}  // namespace slimlab
