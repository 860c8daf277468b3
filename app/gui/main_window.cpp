// The workbench window: layout, actions, the experiment library and the run list.
#include "main_window.h"

#include <qcustomplot.h>

#include <QAction>
#include <QApplication>
#include <QCheckBox>
#include <QComboBox>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QMenuBar>
#include <QMessageBox>
#include <QPushButton>
#include <QSettings>
#include <QSlider>
#include <QSplitter>
#include <QStatusBar>
#include <QTabWidget>
#include <QTimer>
#include <QToolBar>
#include <QVBoxLayout>

#include "distill_view.h"
#include "experiment_library.h"
#include "expert_view.h"
#include "loss_plot.h"
#include "measure/system_info.h"
#include "run_controller.h"
#include "sparsity_view.h"
#include "store/run_store.h"

namespace slimlab {

MainWindow::MainWindow(QString storePath, QWidget* parent)
    : QMainWindow(parent),
      storePath_(std::move(storePath)),
      controller_(new RunController(this)),
      library_(new QListWidget(this)),
      filter_(new QLineEdit(this)),
      runList_(new QListWidget(this)),
      tabs_(new QTabWidget(this)),
      lossPlot_(new LossPlot(this)),
      expertView_(new ExpertView(this)),
      sparsityView_(new SparsityView(this)),
      distillView_(new DistillView(this)),
      smoothing_(new QSlider(Qt::Horizontal, this)),
      logScale_(new QCheckBox(tr("log scale"), this)),
      xAxis_(new QComboBox(this)),
      storeLabel_(new QLabel(this)),
      progressLabel_(new QLabel(this)),
      redraw_(new QTimer(this)) {
  setWindowTitle(tr("SlimLab"));
  controller_->setStorePath(storePath_);

  // Left: what can be started, and what has run.
  auto* left = new QWidget(this);
  auto* leftLayout = new QVBoxLayout(left);
  leftLayout->addWidget(new QLabel(tr("<b>Experiments</b> (double-click to start)"), left));
  leftLayout->addWidget(library_, 2);
  auto* buttons = new QHBoxLayout;
  auto* start = new QPushButton(tr("Start"), left);
  auto* edit = new QPushButton(tr("Edit..."), left);
  buttons->addWidget(start);
  buttons->addWidget(edit);
  leftLayout->addLayout(buttons);
  leftLayout->addWidget(new QLabel(tr("<b>Runs</b>"), left));
  filter_->setPlaceholderText(tr("Filter by name, status or kind"));
  filter_->setClearButtonEnabled(true);
  leftLayout->addWidget(filter_);
  leftLayout->addWidget(runList_, 3);

  // Right: the views of the selected run.
  auto* lossPage = new QWidget(this);
  auto* lossLayout = new QVBoxLayout(lossPage);
  auto* lossControls = new QHBoxLayout;
  smoothing_->setRange(0, 99);
  smoothing_->setToolTip(tr("EMA smoothing: s = w s + (1 - w) x, w from 0 to 0.99"));
  xAxis_->addItems({tr("step"), tr("epoch"), tr("wall time")});
  lossControls->addWidget(new QLabel(tr("Smoothing"), lossPage));
  lossControls->addWidget(smoothing_, 1);
  lossControls->addWidget(logScale_);
  lossControls->addWidget(new QLabel(tr("x axis"), lossPage));
  lossControls->addWidget(xAxis_);
  lossLayout->addLayout(lossControls);
  lossLayout->addWidget(lossPlot_, 1);
  tabs_->addTab(lossPage, tr("Loss"));
  tabs_->addTab(expertView_, tr("Experts"));
  tabs_->addTab(sparsityView_, tr("Sparsity"));
  tabs_->addTab(distillView_, tr("Distillation"));

  auto* splitter = new QSplitter(this);
  splitter->addWidget(left);
  splitter->addWidget(tabs_);
  splitter->setStretchFactor(1, 3);
  splitter->setSizes({330, 870});
  setCentralWidget(splitter);
  statusBar()->addWidget(storeLabel_, 1);
  statusBar()->addPermanentWidget(progressLabel_);

  buildActions();
  buildLibrary();
  connect(start, &QPushButton::clicked, startAction_, &QAction::trigger);
  connect(edit, &QPushButton::clicked, this, &MainWindow::editSpec);
  connect(library_, &QListWidget::itemDoubleClicked, startAction_, &QAction::trigger);
  connect(filter_, &QLineEdit::textChanged, this, [this](const QString& text) {
    for (int i = 0; i < runList_->count(); ++i) {
      auto* item = runList_->item(i);
      item->setHidden(!text.isEmpty() && !item->text().contains(text, Qt::CaseInsensitive));
    }
  });
  connect(runList_, &QListWidget::currentRowChanged, this, [this](int row) {
    if (row >= 0) showRun(runList_->item(row)->data(Qt::UserRole).toLongLong());
  });
  connect(smoothing_, &QSlider::valueChanged, this,
          [this](int v) { lossPlot_->setSmoothing(double(v) / 100.0); });
  connect(logScale_, &QCheckBox::toggled, lossPlot_, &SeriesPlot::setLogScale);
  connect(xAxis_, &QComboBox::currentIndexChanged, this,
          [this](int i) { lossPlot_->setXAxisMode(XAxisMode(i)); });
  connect(tabs_, &QTabWidget::currentChanged, this, [this] { drawShown(true); });

  connect(controller_, &RunController::started, this, [this](const QString& name) {
    showingLive_ = true;
    shown_ = RunData{};
    shown_.name = name;
    shown_.status = "running";
    lossPlot_->clear();
    drawShown(true);
    lossPlot_->setTitle(tr("Training: %1").arg(name));
    updateControls();
  });
  connect(controller_, &RunController::finished, this,
          [this](qint64 id, const QString& status, const QString& message) {
            onTick();  // The last records.
            showingLive_ = false;
            statusBar()->showMessage(
                tr("Run %1 %2%3").arg(id).arg(status).arg(message.isEmpty() ? "" : ": " + message),
                15000);
            reloadRuns();
            updateControls();
            Q_EMIT runFinished(id, status);
          });
  connect(controller_, &RunController::refused, this,
          [this](const QString& name, const QString& message) {
            showingLive_ = false;
            updateControls();
            warn(tr("Cannot start %1").arg(name), message);
          });
  connect(redraw_, &QTimer::timeout, this, &MainWindow::onTick);
  redraw_->start(40);  // At most 25 redraws a second, however fast records arrive.

  QSettings settings;
  restoreGeometry(settings.value("window/geometry").toByteArray());
  if (!settings.contains("window/geometry")) resize(1280, 760);
  reloadRuns();
  updateControls();
}

MainWindow::~MainWindow() { QSettings().setValue("window/geometry", saveGeometry()); }

void MainWindow::buildActions() {
  auto* file = menuBar()->addMenu(tr("&File"));
  auto* open = file->addAction(tr("&Open store..."), this, &MainWindow::openStore);
  open->setShortcut(QKeySequence::Open);
  file->addAction(tr("&Export plot..."), this, &MainWindow::exportPlot)
      ->setShortcut(QKeySequence(tr("Ctrl+E")));
  file->addSeparator();
  file->addAction(tr("&Quit"), this, &QWidget::close)->setShortcut(QKeySequence::Quit);

  auto* run = menuBar()->addMenu(tr("&Run"));
  startAction_ = run->addAction(tr("&Start"), this, [this] {
    if (auto* item = library_->currentItem()) startSpecFile(item->data(Qt::UserRole).toString());
  });
  startAction_->setShortcut(QKeySequence(tr("Ctrl+R")));
  pauseAction_ = run->addAction(tr("&Pause"), this, [this] {
    if (controller_->paused()) {
      controller_->resume();
    } else {
      controller_->pause();
    }
    updateControls();
  });
  pauseAction_->setShortcut(QKeySequence(tr("Ctrl+P")));
  stopAction_ = run->addAction(tr("S&top"), this, [this] { controller_->stop(); });
  stopAction_->setShortcut(QKeySequence(tr("Ctrl+.")));

  auto* help = menuBar()->addMenu(tr("&Help"));
  help->addAction(tr("&About SlimLab"), this, &MainWindow::about);

  auto* toolbar = addToolBar(tr("Run"));
  toolbar->setObjectName("run-toolbar");
  toolbar->addAction(startAction_);
  toolbar->addAction(pauseAction_);
  toolbar->addAction(stopAction_);
}

void MainWindow::buildLibrary() {
  library_->clear();
  for (const auto& entry : experiment_library()) {
    auto* item = new QListWidgetItem(entry.title, library_);
    item->setData(Qt::UserRole, entry.path);
    item->setToolTip(entry.path);
  }
  if (library_->count() > 0) library_->setCurrentRow(0);
}

void MainWindow::updateControls() {
  const bool busy = controller_->busy();
  pauseAction_->setEnabled(busy);
  stopAction_->setEnabled(busy);
  pauseAction_->setText(controller_->paused() ? tr("&Resume") : tr("&Pause"));
  if (!busy) progressLabel_->clear();
}

void MainWindow::openStore() {
  auto path = QFileDialog::getOpenFileName(this, tr("Open run store"), storePath_,
                                           tr("SlimLab run stores (*.sqlite);;All files (*)"));
  if (!path.isEmpty()) openStorePath(path);
}

bool MainWindow::openStorePath(const QString& path) {
  if (controller_->busy()) {
    warn(tr("A run is training"), tr("Stop the current run before opening another store."));
    return false;
  }
  if (QFileInfo::exists(path)) {
    try {
      RunStore check(path.toStdString(), RunStore::Access::ReadOnly);
    } catch (const std::exception& e) {
      warn(tr("Not a SlimLab store"), tr("%1\n\nThe current store stays open.").arg(e.what()));
      return false;
    }
  }
  storePath_ = path;
  controller_->setStorePath(path);
  QSettings().setValue("store/last", storePath_);
  reloadRuns();
  return true;
}

void MainWindow::reloadRuns() {
  const qint64 current = shown_.id;
  runList_->clear();
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
  int select = runList_->count() - 1;
  for (int i = 0; i < runList_->count(); ++i) {
    if (runList_->item(i)->data(Qt::UserRole).toLongLong() == current) select = i;
  }
  if (runList_->count() > 0) {
    runList_->setCurrentRow(select);
  } else {
    lossPlot_->setTitle(tr("No runs in this store yet: double-click an experiment to start one"));
  }
}

void MainWindow::fillRunList() {
  // Run names and statuses only: milliseconds even for a course's store.
  RunStore store(storePath_.toStdString(), RunStore::Access::ReadOnly);
  for (const auto& run : store.list_runs()) {
    auto acc = store.last_value(run.id, "test/accuracy");
    auto label = QString("#%1  %2  [%3, %4]%5")
                     .arg(run.id)
                     .arg(QString::fromStdString(run.name))
                     .arg(QString::fromStdString(run.kind))
                     .arg(QString::fromStdString(run.status))
                     .arg(acc ? QString("  %1%").arg(100 * *acc, 0, 'f', 2) : QString());
    auto* item = new QListWidgetItem(label, runList_);
    item->setData(Qt::UserRole, qint64(run.id));
  }
}

void MainWindow::exportPlot() {
  QCustomPlot* plot = nullptr;
  if (tabs_->currentIndex() == 0) plot = lossPlot_->plot();
  if (auto* current = tabs_->currentWidget(); plot == nullptr && current != nullptr) {
    plot = current->findChild<QCustomPlot*>();
  }
  if (plot == nullptr) return;
  auto path = QFileDialog::getSaveFileName(this, tr("Export plot"), "plot.png",
                                           tr("PNG image (*.png);;PDF document (*.pdf)"));
  if (path.isEmpty()) return;
  bool ok = path.endsWith(".pdf", Qt::CaseInsensitive) ? plot->savePdf(path)
                                                       : plot->savePng(path, 0, 0, 2.0);
  statusBar()->showMessage(ok ? tr("Saved %1").arg(path) : tr("Could not write %1").arg(path),
                           8000);
}

void MainWindow::warn(const QString& title, const QString& text) {
  Q_EMIT problem(title, text);
  if (interactive_) QMessageBox::warning(this, title, text);
}

void MainWindow::about() {
  auto blas = active_blas();
  QMessageBox::about(
      this, tr("About SlimLab"),
      tr("<b>SlimLab %1</b><br>A workbench for model-compression experiments.<br><br>"
         "LibTorch %2 (%3 threads)<br>Qt %4<br>BLAS: %5 (%6 threads)<br>Store: %7")
          .arg(slimlab_version())
          .arg(QString::fromStdString(torch_version()))
          .arg(torch_threads())
          .arg(qVersion())
          .arg(QString::fromStdString(blas.name))
          .arg(blas.threads)
          .arg(storePath_));
}

}  // namespace slimlab
