// The workbench window: starting specs, drawing live and stored runs, screenshots.
#include <qcustomplot.h>

#include <QApplication>
#include <QDialog>
#include <QDialogButtonBox>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QFontDatabase>
#include <QInputDialog>
#include <QLabel>
#include <QLineEdit>
#include <QMessageBox>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSignalBlocker>
#include <QStatusBar>
#include <QTabWidget>
#include <QTimer>
#include <QVBoxLayout>
#include <QtConcurrent/QtConcurrent>
#include <nlohmann/json.hpp>

#include "compare_view.h"
#include "distill_view.h"
#include "experiment_library.h"
#include "expert_view.h"
#include "loss_plot.h"
#include "main_window.h"
#include "plane_view.h"
#include "run_controller.h"
#include "run_table.h"
#include "sparsity_view.h"
#include "spec/spec_paths.h"
#include "spec_dialog.h"
#include "spec_form.h"
#include "store/run_store.h"
#include "summary_view.h"
#include "tab_page.h"
#include "tune_window.h"
#include "util/input_error.h"

namespace slimlab {
namespace {

QString read_text(const QString& path) {
  QFile file(path);
  if (!file.open(QIODevice::ReadOnly)) return {};
  return QString::fromUtf8(file.readAll());
}

}  // namespace

bool MainWindow::startSpecFile(const QString& path) {
  if (!QFileInfo(path).isReadable()) {
    warn(tr("Cannot open the spec"), tr("%1: no such file, or it cannot be read").arg(path));
    return false;
  }
  ExperimentSpec spec;
  auto problem = spec_text_problem(read_text(path), &spec, path);
  if (!problem.isEmpty()) {
    warn(tr("Invalid spec"), tr("%1\n\n%2").arg(path, problem));
    return false;
  }
  if (!trustTeachers(spec)) return false;
  controller_->setStorePath(storePath_);
  controller_->enqueue(spec);
  if (controller_->queued() > 0) {
    statusBar()->showMessage(tr("%1 queued (%2 waiting)")
                                 .arg(QString::fromStdString(spec.name))
                                 .arg(controller_->queued()),
                             8000);
  }
  updateControls();
  return true;
}

bool MainWindow::trustTeachers(const ExperimentSpec& spec) {
  if (!spec.has_distill) return true;
  auto files = torchscript_teacher_files(spec.distill);
  if (files.empty()) return true;
  QStringList names;
  for (const auto& f : files) names << QString::fromStdString(f);
  return confirm(tr("Run code from a TorchScript file?"),
                 tr("The teacher %1 is a TorchScript file: loading it runs the code inside. "
                    "Start only if you trust where it came from.\n\nWeights alone are safer: "
                    "a safetensors teacher holds only numbers.")
                     .arg(names.join(", ")));
}

void MainWindow::editSpec() {
  auto* item = library_->currentItem();
  if (item == nullptr) return;
  const QString path = item->data(Qt::UserRole).toString();
  QString text = read_text(path);
  try {
    // Shown with its paths made absolute against its folder, so Start and Save as preset (in
    // another folder) still mean the files the spec meant.
    auto json = parse_json_text(text.toStdString(), path.toStdString());
    const auto as_written = json;
    anchor_spec_paths(json, path.toStdString());
    if (json != as_written) text = QString::fromStdString(json.dump(2));
  } catch (const std::exception&) {
    // Not JSON: the editor shows it as it is, with the reader's message.
  }
  editSpecText(tr("Edit %1").arg(item->text()), text);
}

void MainWindow::editRunSpec(qint64 id) {
  try {
    RunStore store(storePath_.toStdString(), RunStore::Access::ReadOnly);
    auto spec = nlohmann::json::parse(store.get_run(id).spec_json);
    editSpecText(tr("Run %1 again").arg(id), QString::fromStdString(spec.dump(2)));
  } catch (const std::exception& e) {
    warn(tr("Cannot read the spec of run %1").arg(id), e.what());
  }
}

// MainWindow::editSpecText: spec_dialog.cpp.

TuneWindow* MainWindow::openTune(const QString& run) {
  auto* tune = new TuneWindow(storePath_, run, this);
  tune->setAttribute(Qt::WA_DeleteOnClose);
  // The child run trains here like any run: live plots, the queue, pause and stop.
  tune->setFineTune([this](const ExperimentSpec& spec) { controller_->enqueue(spec); });
  tune->show();
  return tune;
}

void MainWindow::showRun(qint64 runId) {
  if (controller_->busy() && runId == controller_->live().run_id()) {
    // Back to the run that trains: everything it sent is in live_.
    pendingRun_ = runId;  // Stored loads still in flight are for another run: dropped.
    if (!showingLive_) {
      showingLive_ = true;
      shown_ = live_;
      lossPlot_->showRun(shown_);
      drawShown(true);
      lossPlot_->setTitle(tr("Training: %1").arg(shown_.name));
    }
    return;
  }
  showingLive_ = false;
  pendingRun_ = runId;
  const std::string store = storePath_.toStdString();
  // The store is read on a pool thread; the window keeps drawing meanwhile.
  loader_.disconnect();
  connect(&loader_, &QFutureWatcher<RunData>::finished, this, [this, runId] {
    if (pendingRun_ != runId || showingLive_) return;
    auto loaded = loader_.result();
    if (loaded.status.startsWith("error: ")) {
      statusBar()->showMessage(loaded.status.mid(7), 10000);
      return;
    }
    shown_ = std::move(loaded);
    if (shown_.status == "running") planeState_ = PlaneState::None;  // Trained elsewhere.
    drawShown(true);
    lossPlot_->setTitle(tr("Run %1: %2 [%3]").arg(runId).arg(shown_.name, shown_.status));
    Q_EMIT runShown(runId);
  });
  loader_.setFuture(QtConcurrent::run([store, runId] {
    try {
      return load_run_data(store, runId);
    } catch (const std::exception& e) {
      RunData failed;
      failed.status = "error: " + QString::fromStdString(e.what());
      return failed;
    }
  }));
  histogramLoader_.disconnect();
  sparsityView_->setWeightHistogram({}, {}, 0);
  connect(&histogramLoader_, &QFutureWatcher<WeightHistogram>::finished, this, [this, runId] {
    if (pendingRun_ != runId || showingLive_) return;
    auto h = histogramLoader_.result();
    sparsityView_->setWeightHistogram(h.edges, h.counts, h.threshold);
  });
  planeLoader_.disconnect();
  planeState_ = PlaneState::Loading;
  connect(&planeLoader_, &QFutureWatcher<PlaneMap>::finished, this, [this, runId] {
    if (pendingRun_ != runId || showingLive_) return;
    auto m = planeLoader_.result();
    if (m.size == 0) {
      planeState_ = PlaneState::Unavailable;
      planeView_->clear({});
    } else {
      planeState_ = PlaneState::Drawn;
      planeView_->setMaps(m.size, m.x0, m.x1, m.y0, m.y1, m.classes, m.experts, m.decision,
                          m.expert, m.px, m.py, m.label);
    }
    updateTabMessages();
  });
  planeLoader_.setFuture(QtConcurrent::run([store, runId] {
    try {
      return plane_map(store, runId);
    } catch (const std::exception&) {
      return PlaneMap{};
    }
  }));
  histogramLoader_.setFuture(QtConcurrent::run([store, runId] {
    try {
      return weight_histogram(store, runId);
    } catch (const std::exception&) {
      return WeightHistogram{};  // Unfinished runs have no final weights to draw.
    }
  }));
}

void MainWindow::onTick() {
  if (!liveActive_) return;
  auto& live = controller_->live();
  if (live.total_steps() == 0) {
    // Before the first step: say what the run prepares (a student's teachers take a while).
    if (auto phase = live.phase(); !phase.empty()) {
      progressLabel_->setText(tr("%1: %2...").arg(live_.name, QString::fromStdString(phase)));
    }
  } else {
    progressLabel_->setText(tr("%1: step %2 / %3%4")
                                .arg(live_.name)
                                .arg(live.step())
                                .arg(live.total_steps())
                                .arg(controller_->paused() ? tr(" (paused)") : QString()));
  }
  RunData delta = live.take();
  if (delta.metrics.empty() && delta.events.empty() && delta.expert_load.empty()) return;
  const bool new_run = live_.id == 0 && delta.id != 0;
  live_.id = delta.id;
  live_.merge(delta);
  if (live_.steps_per_epoch == 0 && !live_.series("validation/loss").empty()) {
    live_.steps_per_epoch = live_.series("validation/loss").front().step;
  }
  if (new_run) {
    // The run now exists in the store: list it, and highlight it when it is the one shown.
    if (showingLive_) {
      pendingRun_ = live_.id;
      selectPending_ = true;
    }
    reloadRuns();
  }
  if (!showingLive_) return;  // Another run is on screen; live_ keeps growing.
  shown_.id = live_.id;
  shown_.merge(delta);  // shown_ started as a copy of live_: the same records, no copying.
  shown_.steps_per_epoch = live_.steps_per_epoch;
  lossPlot_->append(delta);
  // The heavier views redraw whole, four times a second at most.
  drawShown(sinceHeavyDraw_.isValid() && sinceHeavyDraw_.elapsed() < 250 ? false : true);
}

void MainWindow::drawShown(bool full) {
  if (!full) return;
  sinceHeavyDraw_.restart();
  updateTabMessages();
  if (!showingLive_) lossPlot_->showRun(shown_);  // Live curves grow by append().
  std::vector<double> prune_steps;
  for (const auto& e : shown_.events) {
    if (e.kind == "prune") prune_steps.push_back(double(e.step));
  }
  lossPlot_->setMarkers(prune_steps);
  // Only the visible tab draws; the others catch up when chosen.
  QWidget* page = tabs_->currentWidget();
  if (page == expertPage_ && expertPage_->showingView()) expertView_->showRun(shown_);
  if (page == sparsityPage_ && sparsityPage_->showingView()) sparsityView_->showRun(shown_);
  if (page == distillPage_ && distillPage_->showingView()) distillView_->showRun(shown_);
  if (page == summaryPage_ && summaryPage_->showingView()) summaryView_->showRun(shown_);
}

namespace {

// The ids of `ids` the run list lacks, as "#7, #9"; "" when every one is there.
QString missing_runs(const std::vector<qint64>& ids, const std::vector<RunSummary>& runs) {
  QStringList missing;
  for (auto id : ids) {
    bool listed = false;
    for (const auto& r : runs) listed = listed || r.id == id;
    if (!listed) missing << QString("#%1").arg(id);
  }
  return missing.join(", ");
}

}  // namespace

void MainWindow::saveTabScreenshots(const QString& dir, qint64 runId, ScreenshotsDone done,
                                    QSize size) {
  resize(size);  // The same size for every picture, whatever the saved layout.
  // Give the loaders and queued replots a moment, then grab every tab.
  auto grab_tabs = [=] {
    QTimer::singleShot(1500, this, [=] {
      QDir().mkpath(dir);
      for (int i = 0; i < tabs_->count(); ++i) {
        // The Compare tab needs several runs (--compare), except to show an empty store.
        if (tabs_->widget(i) == comparePage_ && runId > 0) continue;
        tabs_->setCurrentIndex(i);
        QApplication::processEvents();
        for (auto* plot : tabs_->currentWidget()->findChildren<QCustomPlot*>()) plot->replot();
        grab().save(dir + "/" + tabs_->tabText(i).toLower() + ".png");
      }
      done({});
    });
  };
  if (runId <= 0) {  // The window as a new store shows it: what each tab says it is for.
    grab_tabs();
    return;
  }
  if (!QFileInfo::exists(storePath_)) {
    done(tr("%1: no such store, so no run #%2").arg(storePath_).arg(runId));
    return;
  }
  auto connection = std::make_shared<QMetaObject::Connection>();
  *connection = connect(this, &MainWindow::runShown, this, [=](qint64 shown) {
    if (shown != runId) return;
    disconnect(*connection);
    grab_tabs();
  });
  // A run the store does not have is said, not waited for.
  auto listed = std::make_shared<QMetaObject::Connection>();
  *listed = connect(this, &MainWindow::runsLoaded, this, [=] {
    disconnect(*listed);
    if (auto missing = missing_runs({runId}, runTable_->runs()); !missing.isEmpty()) {
      disconnect(*connection);
      done(tr("%1 has no run %2").arg(storePath_, missing));
    }
  });
  runTable_->select(runId);
  showRun(runId);
}

void MainWindow::saveCompareScreenshot(const QString& path, const std::vector<qint64>& ids,
                                       ScreenshotsDone done, QSize size) {
  resize(size);
  auto connection = std::make_shared<QMetaObject::Connection>();
  *connection = connect(this, &MainWindow::compareShown, this, [=] {
    disconnect(*connection);
    QTimer::singleShot(1000, this, [=] {
      for (auto* plot : compareView_->findChildren<QCustomPlot*>()) plot->replot();
      grab().save(path);
      done({});
    });
  });
  // Wait for the run list, then compare (as selecting the rows would).
  auto listed = std::make_shared<QMetaObject::Connection>();
  *listed = connect(this, &MainWindow::runsLoaded, this, [=] {
    disconnect(*listed);
    if (auto missing = missing_runs(ids, runTable_->runs()); !missing.isEmpty()) {
      disconnect(*connection);
      done(tr("%1 has no run %2").arg(storePath_, missing));
      return;
    }
    runTable_->selectIds(ids);
  });
  if (!QFileInfo::exists(storePath_)) done(tr("%1: no such store").arg(storePath_));
}

}  // namespace slimlab
