// The workbench window: the store it shows (open, create, re-read, watched by main_window_views)
// and what the run table's menu does to runs (tags, notes, deletion, comparison).
#include <QFileDialog>
#include <QFileInfo>
#include <QInputDialog>
#include <QLabel>
#include <QLineEdit>
#include <QMessageBox>
#include <QSettings>
#include <QStatusBar>
#include <QTabWidget>
#include <QtConcurrent/QtConcurrent>

#include "compare_view.h"
#include "loss_plot.h"
#include "main_window.h"
#include "plane_view.h"
#include "run_controller.h"
#include "run_table.h"
#include "sparsity_view.h"
#include "store/run_store.h"
#include "tab_page.h"

namespace slimlab {

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
  forgetShownStore();
  watchStore();
  reloadRuns();
  return true;
}

void MainWindow::forgetShownStore() {
  // Run ids start at 1 in every store: nothing of the old one may be kept by id.
  for (auto* watcher : std::initializer_list<QFutureWatcherBase*>{
           &loader_, &histogramLoader_, &planeLoader_, &compareLoader_, &summariesLoader_}) {
    watcher->disconnect(this);
  }
  runTable_->setRuns({});
  shown_ = RunData{};
  pendingRun_ = 0;
  selectPending_ = false;
  planeState_ = PlaneState::None;
  compareIds_.clear();
  compareLoaded_ = false;
  compareError_.clear();
  storeSignature_.clear();
  lossPlot_->clear();
  sparsityView_->setWeightHistogram({}, {}, 0);
  planeView_->clear({});
  compareView_->setRuns({}, {}, {});
  updateTabMessages();
}

void MainWindow::reloadRuns() {
  const std::string store = storePath_.toStdString();
  if (!QFileInfo::exists(storePath_)) {
    runTable_->setRuns({});
    storeLabel_->setText(
        tr("Store: %1 (not created yet: the first run creates it)").arg(storePath_));
    lossPlot_->setTitle(tr("No runs in this store yet: double-click an experiment to start one"));
    updateTabMessages();
    Q_EMIT runsLoaded();
    return;
  }
  // Read on a pool thread; the table fills when the rows are there.
  summariesLoader_.disconnect();
  connect(&summariesLoader_, &QFutureWatcher<std::vector<RunSummary>>::finished, this,
          [this] { onRunsLoaded(summariesLoader_.result()); });
  summariesLoader_.setFuture(QtConcurrent::run([store] {
    try {
      return load_run_summaries(store);
    } catch (const std::exception&) {
      return std::vector<RunSummary>{};  // Opening checked the store; a failure shows as empty.
    }
  }));
}

void MainWindow::compareRuns(const std::vector<qint64>& ids) {
  compareIds_ = ids;
  loadCompare();
  // Only a request to compare brings the tab to the front; reloads never move the user.
  tabs_->setCurrentWidget(comparePage_);
}

void MainWindow::loadCompare() {
  const std::string store = storePath_.toStdString();
  const std::vector<qint64> ids = compareIds_;
  compareLoader_.disconnect();
  connect(&compareLoader_, &QFutureWatcher<ComparedRuns>::finished, this, [this, ids] {
    if (ids != compareIds_) return;  // Superseded by a newer selection or another store.
    auto c = compareLoader_.result();
    compareError_ = c.error;
    compareLoaded_ = true;
    if (c.error.isEmpty()) compareView_->setRuns(c.runs, c.specs, c.all);
    updateTabMessages();
    Q_EMIT compareShown();
  });
  compareLoader_.setFuture(QtConcurrent::run(
      [store, ids, all = runTable_->runs()] { return load_compared_runs(store, ids, all); }));
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

}  // namespace slimlab
