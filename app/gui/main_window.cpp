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

#include <QFile>
#include <QInputDialog>
#include <QSvgGenerator>
#include <QTextStream>
#include <QtConcurrent/QtConcurrent>

#include "compare_view.h"
#include "distill_view.h"
#include "experiment_library.h"
#include "expert_view.h"
#include "loss_plot.h"
#include "measure/system_info.h"
#include "plane_view.h"
#include "run_controller.h"
#include "run_table.h"
#include "sparsity_view.h"
#include "store/run_store.h"

namespace slimlab {

MainWindow::MainWindow(QString storePath, QWidget* parent)
    : QMainWindow(parent),
      storePath_(std::move(storePath)),
      controller_(new RunController(this)),
      library_(new QListWidget(this)),
      runTable_(new RunTable(this)),
      tabs_(new QTabWidget(this)),
      lossPlot_(new LossPlot(this)),
      expertView_(new ExpertView(this)),
      sparsityView_(new SparsityView(this)),
      distillView_(new DistillView(this)),
      planeView_(new PlaneView(this)),
      compareView_(new CompareView(this)),
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
  leftLayout->addWidget(
      new QLabel(tr("<b>Runs</b> (select several to compare; right-click for more)"), left));
  leftLayout->addWidget(runTable_, 3);

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
  tabs_->addTab(planeView_, tr("Plane"));
  tabs_->addTab(compareView_, tr("Compare"));

  auto* splitter = new QSplitter(this);
  splitter->setObjectName("main-splitter");
  splitter->addWidget(left);
  splitter->addWidget(tabs_);
  splitter->setStretchFactor(1, 3);
  splitter->setSizes({420, 860});
  setCentralWidget(splitter);
  statusBar()->addWidget(storeLabel_, 1);
  statusBar()->addPermanentWidget(progressLabel_);

  buildActions();
  buildLibrary();
  connect(start, &QPushButton::clicked, startAction_, &QAction::trigger);
  connect(edit, &QPushButton::clicked, this, &MainWindow::editSpec);
  connect(library_, &QListWidget::itemDoubleClicked, startAction_, &QAction::trigger);
  connect(runTable_, &RunTable::runActivated, this, &MainWindow::showRun);
  connect(runTable_, &RunTable::compareRequested, this, &MainWindow::compareRuns);
  connect(runTable_, &RunTable::tagsRequested, this, &MainWindow::editTags);
  connect(runTable_, &RunTable::noteRequested, this, &MainWindow::editNote);
  connect(runTable_, &RunTable::specRequested, this, &MainWindow::editRunSpec);
  connect(runTable_, &RunTable::deleteRequested, this, &MainWindow::deleteRuns);
  connect(compareView_, &CompareView::runActivated, this, [this](qint64 id) {
    runTable_->select(id);
    tabs_->setCurrentIndex(0);
  });
  connect(smoothing_, &QSlider::valueChanged, this,
          [this](int v) { lossPlot_->setSmoothing(double(v) / 100.0); });
  connect(logScale_, &QCheckBox::toggled, lossPlot_, &SeriesPlot::setLogScale);
  connect(xAxis_, &QComboBox::currentIndexChanged, this,
          [this](int i) { lossPlot_->setXAxisMode(XAxisMode(i)); });
  connect(tabs_, &QTabWidget::currentChanged, this, [this] { drawShown(true); });

  connect(controller_, &RunController::started, this, [this](const QString& name) {
    showingLive_ = true;
    liveActive_ = true;
    live_ = RunData{};
    live_.name = name;
    live_.status = "running";
    shown_ = live_;
    lossPlot_->clear();
    drawShown(true);
    lossPlot_->setTitle(tr("Training: %1").arg(name));
    updateControls();
  });
  connect(controller_, &RunController::finished, this,
          [this](qint64 id, const QString& status, const QString& message) {
            onTick();  // The last records.
            liveActive_ = false;
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
            liveActive_ = false;
            showingLive_ = false;
            updateControls();
            warn(tr("Cannot start %1").arg(name), message);
          });
  connect(redraw_, &QTimer::timeout, this, &MainWindow::onTick);
  redraw_->start(40);  // At most 25 redraws a second, however fast records arrive.

  QSettings settings;
  restoreGeometry(settings.value("window/geometry").toByteArray());
  splitter->restoreState(settings.value("window/splitter").toByteArray());
  if (!settings.contains("window/geometry")) resize(1280, 760);
  reloadRuns();
  updateControls();
}

MainWindow::~MainWindow() {
  QSettings settings;
  settings.setValue("window/geometry", saveGeometry());
  if (auto* splitter = findChild<QSplitter*>("main-splitter")) {
    settings.setValue("window/splitter", splitter->saveState());
  }
  // Loads still running on the pool use LibTorch and the store; let them end before the window
  // (and, at exit, the libraries' own statics) go. They take well under a second. A test that
  // ended while the plane map was still being computed once crashed after it had passed.
  loader_.waitForFinished();
  histogramLoader_.waitForFinished();
  planeLoader_.waitForFinished();
  summariesLoader_.waitForFinished();
  compareLoader_.waitForFinished();
}

void MainWindow::buildActions() {
  auto* file = menuBar()->addMenu(tr("&File"));
  auto* open = file->addAction(tr("&Open store..."), this, &MainWindow::openStore);
  open->setShortcut(QKeySequence::Open);
  file->addAction(tr("&New store..."), this, &MainWindow::newStore)->setShortcut(QKeySequence::New);
  file->addSeparator();
  file->addAction(tr("&Export plot..."), this, &MainWindow::exportPlot)
      ->setShortcut(QKeySequence(tr("Ctrl+E")));
  file->addAction(tr("Export run &metrics as CSV..."), this, &MainWindow::exportCsv);
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
  const std::string store = storePath_.toStdString();
  if (!QFileInfo::exists(storePath_)) {
    runTable_->setRuns({});
    storeLabel_->setText(
        tr("Store: %1 (not created yet: the first run creates it)").arg(storePath_));
    lossPlot_->setTitle(tr("No runs in this store yet: double-click an experiment to start one"));
    Q_EMIT runsLoaded();
    return;
  }
  // Read on a pool thread; the table fills when the rows are there.
  summariesLoader_.disconnect();
  connect(&summariesLoader_, &QFutureWatcher<std::vector<RunSummary>>::finished, this, [this] {
    auto runs = summariesLoader_.result();
    // Keep what is shown, or what was asked for while the list was loading.
    const qint64 current = pendingRun_ > 0 ? pendingRun_ : shown_.id;
    runTable_->setRuns(runs);
    storeLabel_->setText(tr("Store: %1 (%2 runs)").arg(storePath_).arg(runs.size()));
    if (!runs.empty() && runTable_->selectedIds().empty()) {
      bool known = false;
      for (const auto& r : runs) known = known || r.id == current;
      runTable_->select(known ? current : runs.back().id);
    }
    if (runs.empty()) {
      lossPlot_->setTitle(tr("No runs in this store yet: double-click an experiment to start one"));
    }
    Q_EMIT runsLoaded();
  });
  summariesLoader_.setFuture(QtConcurrent::run([store] {
    try {
      return load_run_summaries(store);
    } catch (const std::exception&) {
      return std::vector<RunSummary>{};  // Opening checked the store; a failure shows as empty.
    }
  }));
}

void MainWindow::compareRuns(const std::vector<qint64>& ids) {
  const std::string store = storePath_.toStdString();
  compareLoader_.disconnect();
  connect(&compareLoader_, &QFutureWatcher<ComparedRuns>::finished, this, [this] {
    auto c = compareLoader_.result();
    if (!c.error.isEmpty()) {
      statusBar()->showMessage(c.error, 10000);
      return;
    }
    compareView_->setRuns(c.runs, c.specs, c.all);
    tabs_->setCurrentWidget(compareView_);
    Q_EMIT compareShown();
  });
  compareLoader_.setFuture(
      QtConcurrent::run([store, ids] { return load_compared_runs(store, ids); }));
}

bool MainWindow::confirm(const QString& title, const QString& text) {
  if (!interactive_) return true;
  return QMessageBox::question(this, title, text) == QMessageBox::Yes;
}

void MainWindow::editTags(qint64 id) {
  QString current;
  for (const auto& r : runTable_->runs()) {
    if (r.id == id) current = r.tags.join(", ");
  }
  bool ok = false;
  auto text =
      QInputDialog::getText(this, tr("Tags of run %1").arg(id), tr("Tags, separated by commas:"),
                            QLineEdit::Normal, current, &ok);
  if (!ok) return;
  std::vector<std::string> tags;
  for (const auto& t : text.split(',', Qt::SkipEmptyParts))
    tags.push_back(t.trimmed().toStdString());
  try {
    RunStore(storePath_.toStdString(), RunStore::Access::ReadWrite).set_tags(id, tags);
  } catch (const std::exception& e) {
    warn(tr("Could not save the tags"), e.what());
  }
  reloadRuns();
}

void MainWindow::editNote(qint64 id) {
  QString current;
  for (const auto& r : runTable_->runs()) {
    if (r.id == id) current = r.note;
  }
  bool ok = false;
  auto text =
      QInputDialog::getMultiLineText(this, tr("Note on run %1").arg(id), tr("Note:"), current, &ok);
  if (!ok) return;
  try {
    RunStore(storePath_.toStdString(), RunStore::Access::ReadWrite)
        .set_note(id, text.toStdString());
  } catch (const std::exception& e) {
    warn(tr("Could not save the note"), e.what());
  }
  reloadRuns();
}

void MainWindow::deleteRuns(const std::vector<qint64>& ids) {
  QStringList names;
  for (auto id : ids) names << QString("#%1").arg(id);
  if (!confirm(tr("Delete runs"),
               tr("Delete %1 and everything recorded for them? This cannot be undone.")
                   .arg(names.join(", ")))) {
    return;
  }
  try {
    RunStore store(storePath_.toStdString(), RunStore::Access::ReadWrite);
    for (auto id : ids) store.delete_run(id);
  } catch (const std::exception& e) {
    warn(tr("Could not delete"), e.what());
  }
  shown_ = RunData{};
  reloadRuns();
}

void MainWindow::exportPlot() {
  QCustomPlot* plot = nullptr;
  if (tabs_->currentIndex() == 0) plot = lossPlot_->plot();
  if (auto* current = tabs_->currentWidget(); plot == nullptr && current != nullptr) {
    plot = current->findChild<QCustomPlot*>();
  }
  if (plot == nullptr) return;
  auto path = QFileDialog::getSaveFileName(
      this, tr("Export plot"), "plot.png",
      tr("PNG image (*.png);;SVG drawing (*.svg);;PDF document (*.pdf)"));
  if (path.isEmpty()) return;
  bool ok = false;
  if (path.endsWith(".pdf", Qt::CaseInsensitive)) {
    ok = plot->savePdf(path);
  } else if (path.endsWith(".svg", Qt::CaseInsensitive)) {
    QSvgGenerator svg;
    svg.setFileName(path);
    svg.setSize(plot->size());
    svg.setViewBox(plot->rect());
    svg.setTitle(tr("SlimLab plot"));
    QCPPainter painter(&svg);
    plot->toPainter(&painter, plot->width(), plot->height());
    ok = painter.end();
  } else {
    ok = plot->savePng(path, 0, 0, 2.0);  // Twice the pixels: sharp on slides and HiDPI.
  }
  statusBar()->showMessage(ok ? tr("Saved %1").arg(path) : tr("Could not write %1").arg(path),
                           8000);
}

void MainWindow::exportCsv() {
  if (shown_.metrics.empty()) return;
  auto path = QFileDialog::getSaveFileName(this, tr("Export run metrics"),
                                           QString("run%1.csv").arg(shown_.id), tr("CSV (*.csv)"));
  if (path.isEmpty()) return;
  QFile file(path);
  if (!file.open(QIODevice::WriteOnly | QIODevice::Text)) {
    warn(tr("Could not write"), path);
    return;
  }
  QTextStream out(&file);
  out << "run,key,step,value\n";  // The same tidy form as slimlab-cli export --csv.
  for (const auto& [key, rows] : shown_.metrics) {
    for (const auto& r : rows) {
      out << shown_.id << ',' << QString::fromStdString(key) << ',' << r.step << ','
          << QString::number(r.value, 'g', 10) << '\n';
    }
  }
  statusBar()->showMessage(tr("Saved %1").arg(path), 8000);
}

void MainWindow::newStore() {
  auto path = QFileDialog::getSaveFileName(this, tr("New run store"), "runs.sqlite",
                                           tr("SlimLab run stores (*.sqlite)"));
  if (path.isEmpty()) return;
  if (QFileInfo::exists(path)) {
    openStorePath(path);  // An existing file is opened (and checked), never overwritten.
    return;
  }
  try {
    RunStore created(path.toStdString(), RunStore::Access::ReadWrite);
  } catch (const std::exception& e) {
    warn(tr("Could not create the store"), e.what());
    return;
  }
  openStorePath(path);
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
