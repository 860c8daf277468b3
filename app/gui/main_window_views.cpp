// The workbench window: which view each tab shows for the selected run, and following the
// store when another process (slimlab-cli) writes to it.
#include <QDateTime>
#include <QDir>
#include <QFileInfo>
#include <QFileSystemWatcher>
#include <QLabel>
#include <QStatusBar>
#include <QTabWidget>
#include <QTimer>

#include "compare_view.h"
#include "loss_plot.h"
#include "main_window.h"
#include "run_controller.h"
#include "run_table.h"
#include "summary_view.h"
#include "tab_page.h"

namespace slimlab {
namespace {

// Size and change time of the store and its WAL: what a write changes. Readers (this window's
// loaders too) touch "<store>-shm" and may create an empty WAL, so an empty WAL's time is not
// part of it.
QString store_signature(const QString& store) {
  const QFileInfo db(store), wal(store + "-wal");
  QString signature = QString("%1:%2").arg(db.size()).arg(db.lastModified().toMSecsSinceEpoch());
  if (wal.size() > 0) {
    signature += QString(";%1:%2").arg(wal.size()).arg(wal.lastModified().toMSecsSinceEpoch());
  }
  return signature;
}

}  // namespace

void MainWindow::onRunsLoaded(const std::vector<RunSummary>& runs) {
  // Keep what is shown, or what was asked for while the list was loading.
  const qint64 current = pendingRun_ > 0 ? pendingRun_ : shown_.id;
  runTable_->setRuns(runs);
  storeLabel_->setText(tr("Store: %1 (%2 runs)").arg(storePath_).arg(runs.size()));
  const RunSummary* shown = nullptr;
  for (const auto& r : runs) {
    if (r.id == current) shown = &r;
  }
  if (selectPending_ && shown != nullptr) {
    // A run that just started in this window: its row is the one highlighted.
    selectPending_ = false;
    runTable_->select(current);
  } else if (!runs.empty() && runTable_->selectedIds().empty()) {
    runTable_->select(shown != nullptr ? current : runs.back().id);
  }
  if (reloadShownIfChanged_ && !showingLive_ && shown != nullptr && shown->id == shown_.id &&
      (shown->status != shown_.status ||
       (shownLastId_ == shown->id && shown->last != shownLast_))) {
    // Another process trains or ended this run: draw what it has now.
    showRun(shown_.id);
  }
  if (shown != nullptr) {
    shownLast_ = shown->last;
    shownLastId_ = shown->id;
  }
  reloadShownIfChanged_ = false;
  if (runs.empty()) {
    lossPlot_->setTitle(tr("No runs in this store yet: double-click an experiment to start one"));
  }
  if (tabs_->currentWidget() == comparePage_ && !controller_->busy()) refreshCompare();
  updateTabMessages();
  Q_EMIT runsLoaded();
}

void MainWindow::onTabChanged() {
  drawShown(true);  // Plots filled while hidden redraw themselves when shown (request_replot).
  if (tabs_->currentWidget() == comparePage_ &&
      (compareIds_ != runTable_->selectedIds() ||
       (!compareLoaded_ && !compareLoader_.isRunning()))) {
    refreshCompare();
  }
}

void MainWindow::refreshCompare() {
  if (!QFileInfo::exists(storePath_)) {  // A new store: nothing to read yet.
    compareLoaded_ = true;
    compareIds_.clear();
    updateTabMessages();
    return;
  }
  if (!compareLoaded_) comparePage_->showMessage(tr("Reading the runs to compare..."));
  compareIds_ = runTable_->selectedIds();
  loadCompare();
}

QString MainWindow::tabMessage(QWidget* page) const {
  auto* tab = qobject_cast<TabPage*>(page);
  return tab == nullptr ? QString() : tab->message();
}

void MainWindow::updateTabMessages() {
  const RunData& r = shown_;
  const bool running = showingLive_ || r.status == "running";
  const QString run = r.id > 0 ? tr("Run #%1 (%2)").arg(r.id).arg(r.name) : tr("This run");
  auto show = [](TabPage* page, bool applies, const QString& why) {
    if (applies) {
      page->showView();
    } else {
      page->showMessage(why);
    }
  };
  if (r.id == 0 && !showingLive_) {
    const QString pick = runTable_->runs().empty()
                             ? tr("No runs in this store yet: double-click an experiment on the "
                                  "left to start one.")
                             : tr("Select a run in the table on the left.");
    for (auto* page : {expertPage_, sparsityPage_, distillPage_, planePage_, summaryPage_}) {
      page->showMessage(pick);
    }
  } else {
    const RunTraits& t = r.traits;
    show(expertPage_, !t.known || (t.moe && (!r.expert_load.empty() || !running)),
         t.moe ? tr("The expert load appears at the first logged step of %1.").arg(run)
               : tr("<b>Experts</b> shows how a mixture-of-experts router uses its experts: "
                    "the load of each expert, the router's entropy and which classes go "
                    "where.<br><br>%1 has no MoE layer. Runs of a moe-mlp model fill this tab "
                    "(for example the moe-fashion-top2 experiment).")
                     .arg(run));
    show(sparsityPage_, !t.known || t.prune,
         tr("<b>Sparsity</b> shows each layer's sparsity, the pruning schedule and the weights "
            "that survive, for pruning runs.<br><br>%1 prunes nothing. Runs with a prune "
            "section fill this tab (for example prune-lenet300-agp).")
             .arg(run));
    show(distillPage_, !t.known || t.distill,
         tr("<b>Distillation</b> shows a student's loss against its teacher's soft targets "
            "and how often the two agree.<br><br>%1 has no teacher. Runs with a distill "
            "section fill this tab (for example kd-hinton, once its teacher run exists).")
             .arg(run));
    QString plane;
    bool plane_view = false;
    if (t.known && !t.plane) {
      plane = tr("<b>Plane</b> maps, over the input plane, the class the model decides and the "
                 "expert its router picks, for runs on 2-D data (spirals, moons, circles, "
                 "blobs, xor).<br><br>%1 trains on %2.")
                  .arg(run, t.dataset);
    } else if (running) {
      plane =
          tr("The maps appear when %1 finishes: they are drawn from its final weights.").arg(run);
    } else if (planeState_ == PlaneState::Drawn) {
      plane_view = true;
    } else if (planeState_ == PlaneState::Unavailable) {
      plane =
          tr("%1 has no final weights (it is %2), so there is no map to draw.").arg(run, r.status);
    } else {
      plane = tr("Drawing the maps of %1...").arg(run);
    }
    show(planePage_, plane_view, plane);
    show(summaryPage_, SummaryView::hasSummary(r),
         tr("<b>Summary</b> shows what a finished run measured: its cost and, for each "
            "compression method it used (low-rank factorisation, quantisation), the method's "
            "figures and per-layer table.<br><br>It appears when %1 ends.")
             .arg(run));
  }
  if (!compareError_.isEmpty()) {
    comparePage_->showMessage(tr("Cannot read the runs to compare: %1").arg(compareError_));
  } else if (compareLoaded_) {
    show(comparePage_, !runTable_->runs().empty(),
         tr("No runs in this store yet. The Compare tab overlays the selected runs and places "
            "every finished run on an accuracy-against-cost plot."));
  }
  show(lossPage_, r.id > 0 || showingLive_,
       runTable_->runs().empty()
           ? tr("No runs in this store yet: double-click an experiment on the left to start "
                "one. Its loss and accuracy appear here as it trains.")
           : tr("Select a run in the table on the left to see its loss and accuracy."));
}

void MainWindow::watchStore() {
  if (!storeWatcher_->files().isEmpty()) storeWatcher_->removePaths(storeWatcher_->files());
  if (!storeWatcher_->directories().isEmpty()) {
    storeWatcher_->removePaths(storeWatcher_->directories());
  }
  // SQLite in WAL mode writes to "<store>-wal" and copies it into the store at checkpoints;
  // the folder tells when either file appears or goes.
  QStringList paths;
  for (const QString& path :
       {storePath_, storePath_ + "-wal", QFileInfo(storePath_).absolutePath()}) {
    if (QFileInfo::exists(path)) paths << path;
  }
  if (!paths.isEmpty()) storeWatcher_->addPaths(paths);
  if (storeSignature_.isEmpty()) storeSignature_ = store_signature(storePath_);  // As opened.
}

void MainWindow::onStoreChanged() {
  watchStore();  // The WAL file comes and goes; watch the files that exist now.
  const QString signature = store_signature(storePath_);
  if (signature == storeSignature_) return;
  storeSignature_ = signature;
  reloadShownIfChanged_ = true;
  reloadRuns();
}

}  // namespace slimlab
