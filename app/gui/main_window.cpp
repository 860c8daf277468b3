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
#include <QFileSystemWatcher>
#include <QInputDialog>
#include <QThreadPool>
#include <QtConcurrent/QtConcurrent>

#include "compare_view.h"
#include "distill_view.h"
#include "experiment_library.h"
#include "expert_view.h"
#include "help_text.h"
#include "loss_plot.h"
#include "measure/system_info.h"
#include "plane_view.h"
#include "run_controller.h"
#include "run_table.h"
#include "sparsity_view.h"
#include "store/run_store.h"
#include "summary_view.h"
#include "tab_page.h"

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
      summaryView_(new SummaryView(this)),
      expertPage_(new TabPage(expertView_, this)),
      sparsityPage_(new TabPage(sparsityView_, this)),
      distillPage_(new TabPage(distillView_, this)),
      planePage_(new TabPage(planeView_, this)),
      comparePage_(new TabPage(compareView_, this)),
      summaryPage_(new TabPage(summaryView_, this)),
      storeWatcher_(new QFileSystemWatcher(this)),
      storeChanged_(new QTimer(this)),
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
  // What the chosen preset shows, how long it runs and what it needs first.
  auto* presetInfo = new QLabel(left);
  presetInfo->setObjectName("preset-info");
  presetInfo->setWordWrap(true);
  presetInfo->setTextFormat(Qt::RichText);
  leftLayout->addWidget(presetInfo);
  connect(library_, &QListWidget::currentItemChanged, presetInfo, [presetInfo](QListWidgetItem* i) {
    presetInfo->setText(i != nullptr ? i->data(Qt::UserRole + 1).toString() : QString());
  });
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
  auto* smoothingValue = new QLabel("0.00", lossPage);  // The weight w the slider sets.
  smoothingValue->setObjectName("smoothing-value");
  lossControls->addWidget(smoothingValue);
  connect(smoothing_, &QSlider::valueChanged, smoothingValue,
          [smoothingValue](int v) { smoothingValue->setText(QString::number(v / 100.0, 'f', 2)); });
  lossControls->addWidget(logScale_);
  lossControls->addWidget(new QLabel(tr("x axis"), lossPage));
  lossControls->addWidget(xAxis_);
  lossLayout->addLayout(lossControls);
  lossLayout->addWidget(lossPlot_, 1);
  lossPage_ = new TabPage(lossPage, this);
  tabs_->addTab(lossPage_, tr("Loss"));
  tabs_->addTab(expertPage_, tr("Experts"));
  tabs_->addTab(sparsityPage_, tr("Sparsity"));
  tabs_->addTab(distillPage_, tr("Distillation"));
  tabs_->addTab(planePage_, tr("Plane"));
  tabs_->addTab(comparePage_, tr("Compare"));
  tabs_->addTab(summaryPage_, tr("Summary"));

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
  connect(runTable_, &RunTable::tuneRequested, this,
          [this](qint64 id) { openTune(QString::number(id)); });
  connect(compareView_, &CompareView::runActivated, this, [this](qint64 id) {
    tabs_->setCurrentWidget(lossPage_);  // First: the Compare tab must not follow this click.
    runTable_->select(id);
  });
  connect(smoothing_, &QSlider::valueChanged, this,
          [this](int v) { lossPlot_->setSmoothing(double(v) / 100.0); });
  connect(logScale_, &QCheckBox::toggled, lossPlot_, &SeriesPlot::setLogScale);
  connect(xAxis_, &QComboBox::currentIndexChanged, this,
          [this](int i) { lossPlot_->setXAxisMode(XAxisMode(i)); });
  connect(tabs_, &QTabWidget::currentChanged, this, &MainWindow::onTabChanged);
  // The selection drives every view: one run is shown, several are compared, and the Compare
  // tab in front follows the selection too.
  connect(runTable_, &RunTable::runActivated, this, [this] {
    if (tabs_->currentWidget() == comparePage_) refreshCompare();
  });

  connect(controller_, &RunController::started, this, [this](const QString& name) {
    showingLive_ = true;
    liveActive_ = true;
    live_ = RunData{};
    live_.name = name;
    live_.status = "running";
    live_.traits = run_traits(controller_->current());
    shown_ = live_;
    pendingRun_ = 0;  // A stored run still loading must not land on the live one's tabs.
    planeState_ = PlaneState::None;
    sparsityView_->setWeightHistogram({}, {}, 0);
    lossPlot_->clear();
    drawShown(true);
    lossPlot_->setTitle(tr("Training: %1").arg(name));
    updateControls();
    progressLabel_->setText(tr("%1: starting...").arg(name));  // onTick names the phase.
  });
  connect(controller_, &RunController::finished, this,
          [this](qint64 id, const QString& status, const QString& message) {
            onTick();  // The last records.
            const bool was_shown = showingLive_;
            liveActive_ = false;
            showingLive_ = false;
            statusBar()->showMessage(
                tr("Run %1 %2%3").arg(id).arg(status).arg(message.isEmpty() ? "" : ": " + message),
                15000);
            reloadRuns();
            // The run on screen ended: show it as stored, with what needs its final weights
            // (plane maps, weight histogram) and its final status in the title.
            if (was_shown && id > 0) showRun(id);
            updateControls();
            Q_EMIT runFinished(id, status);
          });
  connect(controller_, &RunController::refused, this,
          [this](const QString& name, const QString& message, bool answered) {
            liveActive_ = false;
            showingLive_ = false;
            updateControls();
            if (answered) {
              Q_EMIT problem(tr("Cannot start %1").arg(name), message);  // The editor shows it.
            } else {
              warn(tr("Cannot start %1").arg(name), message);
            }
          });
  connect(redraw_, &QTimer::timeout, this, &MainWindow::onTick);
  redraw_->start(40);  // At most 25 redraws a second, however fast records arrive.
  storeChanged_->setSingleShot(true);
  connect(storeChanged_, &QTimer::timeout, this, &MainWindow::onStoreChanged);
  auto changed = [this] {
    // At most one reload a second while another process writes (three while this window
    // trains: its own writes need no reload).
    if (!storeChanged_->isActive()) storeChanged_->start(controller_->busy() ? 3000 : 1000);
  };
  connect(storeWatcher_, &QFileSystemWatcher::fileChanged, this, changed);
  connect(storeWatcher_, &QFileSystemWatcher::directoryChanged, this, changed);

  QSettings settings;
  restoreGeometry(settings.value("window/geometry").toByteArray());
  splitter->restoreState(settings.value("window/splitter").toByteArray());
  if (!settings.contains("window/geometry")) resize(1280, 760);
  watchStore();
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
  // A newer selection replaces a watcher's future without waiting for the old load, which then
  // runs on unwatched: wait for every task of the pool too.
  QThreadPool::globalInstance()->waitForDone();
}

void MainWindow::buildActions() {
  auto* file = menuBar()->addMenu(tr("&File"));
  auto* open = file->addAction(tr("&Open store..."), this, &MainWindow::openStore);
  open->setShortcut(QKeySequence::Open);
  file->addAction(tr("&New store..."), this, &MainWindow::newStore)->setShortcut(QKeySequence::New);
  file->addAction(tr("&Reload store"), this,
                  [this] {
                    reloadShownIfChanged_ = true;
                    compareLoaded_ = false;
                    reloadRuns();
                  })
      ->setShortcut(QKeySequence::Refresh);
  file->addSeparator();
  file->addAction(tr("&Export tab..."), this, &MainWindow::exportPlot)
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
  run->addSeparator();
  run->addAction(tr("T&une the selected run..."), this,
                 [this] {
                   const auto ids = runTable_->selectedIds();
                   if (!ids.empty()) openTune(QString::number(ids[0]));
                 })
      ->setShortcut(QKeySequence(tr("Ctrl+T")));

  auto* help = menuBar()->addMenu(tr("&Help"));
  auto* quickStart = help->addAction(
      tr("&Quick start"), this, [this] { show_help(this, tr("Quick start"), quick_start_html()); });
  quickStart->setShortcut(QKeySequence::HelpContents);
  help->addAction(tr("&Keyboard shortcuts"), this,
                  [this] { show_help(this, tr("Keyboard shortcuts"), shortcuts_html(menuBar())); });
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
    item->setData(Qt::UserRole + 1, entry.summary());  // For the label under the list.
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
