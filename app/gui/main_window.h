#pragma once

#include <QElapsedTimer>
#include <QFutureWatcher>
#include <QMainWindow>
#include <QString>
#include <functional>

#include "run_data.h"
#include "run_loading.h"
#include "run_table.h"

class QAction;
class QCheckBox;
class QFileSystemWatcher;
class QComboBox;
class QLabel;
class QLineEdit;
class QListWidget;
class QTableWidget;
class QSlider;
class QTabWidget;
class QTimer;

namespace slimlab {

class CompareView;
class DistillView;
class SummaryView;
struct ExperimentSpec;
class RunTable;
struct RunSummary;
class ExpertView;
class LossPlot;
class PlaneView;
class RunController;
class SparsityView;
class TabPage;
class TuneWindow;

/// SlimLab's workbench window: the experiment library and the runs of one store on the left,
/// the selected run's loss, expert, sparsity and distillation views on the right, and run
/// control (start, pause, stop) in the toolbar. Training happens on RunController's worker
/// thread; stored runs load on a pool thread; the GUI thread only draws.
class MainWindow : public QMainWindow {
  Q_OBJECT
 public:
  explicit MainWindow(QString storePath, QWidget* parent = nullptr);
  ~MainWindow() override;

  /// Re-reads the run list from the store (on a pool thread; `runsLoaded` follows). The
  /// window also calls it by itself when another process (slimlab-cli) changes the store.
  void reloadRuns();
  /// Saves the current tab as PNG, SVG or PDF (by the extension): a single plot as itself,
  /// a tab of several plots as the whole page. False with a status message when it cannot.
  bool exportTab(const QString& path);
  /// The sentence a tab shows in place of its view ("" while it shows the view).
  QString tabMessage(QWidget* page) const;
  /// Shows a stored run (loaded in the background; `runShown` follows).
  void showRun(qint64 runId);
  /// Starts the spec in `path` (a preset or a saved spec); false with a message when it is
  /// invalid (nothing starts).
  bool startSpecFile(const QString& path);
  /// Opens another store; a file that is not a SlimLab store is refused and the current one
  /// stays open.
  bool openStorePath(const QString& path);
  /// Called when the pictures are saved ("") or cannot be made (why: a run not in the store).
  using ScreenshotsDone = std::function<void(const QString& error)>;
  /// Saves each tab as `<dir>/<tab>.png` once run `runId` is shown (runId 0: the store as it
  /// opens), then calls `done`. The window is resized to `size` (pixels) first.
  void saveTabScreenshots(const QString& dir, qint64 runId, ScreenshotsDone done,
                          QSize size = QSize(1360, 820));
  /// Compares `ids` and saves the Compare tab as `path` at window `size`, then calls `done`.
  void saveCompareScreenshot(const QString& path, const std::vector<qint64>& ids,
                             ScreenshotsDone done, QSize size = QSize(1360, 820));

  /// Tests turn message boxes off; problems are then only emitted as `problem`.
  void setInteractive(bool on) { interactive_ = on; }

  RunController& controller() { return *controller_; }
  /// Opens a Tune window on `run` (id, name or uuid prefix; its own top-level window;
  /// "Fine-tune" queues the child run here). GUI thread.
  TuneWindow* openTune(const QString& run);
  const RunData& shownRun() const { return shown_; }
  QTabWidget* tabs() const { return tabs_; }

 Q_SIGNALS:
  void runShown(qint64 runId);
  /// The run list was (re)read from the store.
  void runsLoaded();
  /// The Compare tab holds the selected runs.
  void compareShown();
  void runFinished(qint64 runId, const QString& status);
  /// Something the user must read: an invalid spec, a refused store or run.
  void problem(const QString& title, const QString& text);

 private:
  void buildActions();
  void buildLibrary();
  void compareRuns(const std::vector<qint64>& ids);
  void editTags(qint64 id);
  void editNote(qint64 id);
  void deleteRuns(const std::vector<qint64>& ids);
  bool confirm(const QString& title, const QString& text);
  /// Asks before a run loads TorchScript teachers (code); true when there are none.
  bool trustTeachers(const ExperimentSpec& spec);
  void drawShown(bool full);
  /// Each tab shows its view, or a sentence saying why it is empty for the shown run.
  void updateTabMessages();
  void onTabChanged();
  /// Loads the selected runs into the Compare tab, where it stays (or is not) in front.
  void refreshCompare();
  /// Reads compareIds_ on a pool thread into the Compare tab; a newer call supersedes it.
  void loadCompare();
  /// Forgets everything shown of the previous store (runs, selection, loads in flight).
  void forgetShownStore();
  /// Watches the store file, its WAL and its folder for writes by other processes.
  void watchStore();
  void onStoreChanged();
  void onRunsLoaded(const std::vector<RunSummary>& runs);
  void onTick();
  void updateControls();
  void openStore();
  void editSpec();
  /// The spec editor (spec_dialog.cpp); `problem`: a start error to show (the editor reopened
  /// after a refused start).
  void editSpecText(const QString& title, const QString& text, const QString& problem = {});
  void editRunSpec(qint64 id);
  void newStore();
  void exportCsv();
  void exportPlot();
  /// `<run>-<tab>` for the current tab: the name an export is offered under.
  QString exportName() const;
  void about();
  void warn(const QString& title, const QString& text);

  QString storePath_;
  RunController* controller_;
  QListWidget* library_;
  RunTable* runTable_;
  QTabWidget* tabs_;
  LossPlot* lossPlot_;
  ExpertView* expertView_;
  SparsityView* sparsityView_;
  DistillView* distillView_;
  PlaneView* planeView_;
  CompareView* compareView_;
  SummaryView* summaryView_;
  TabPage* lossPage_ = nullptr;
  TabPage* expertPage_;
  TabPage* sparsityPage_;
  TabPage* distillPage_;
  TabPage* planePage_;
  TabPage* comparePage_;
  TabPage* summaryPage_;
  QFileSystemWatcher* storeWatcher_;
  QTimer* storeChanged_;  ///< Gathers a burst of store writes into one reload.
  QSlider* smoothing_;
  QCheckBox* logScale_;
  QComboBox* xAxis_;
  QLabel* storeLabel_;
  QLabel* progressLabel_;
  QAction* startAction_;
  QAction* pauseAction_;
  QAction* stopAction_;
  QTimer* redraw_;
  QElapsedTimer sinceHeavyDraw_;
  QFutureWatcher<RunData> loader_;
  QFutureWatcher<WeightHistogram> histogramLoader_;
  QFutureWatcher<PlaneMap> planeLoader_;
  QFutureWatcher<std::vector<RunSummary>> summariesLoader_;
  QFutureWatcher<ComparedRuns> compareLoader_;
  RunData shown_;
  RunData live_;  ///< Everything the training run sent so far, shown or not.
  bool showingLive_ = false;
  bool liveActive_ = false;  ///< A run is training (or its last records are being taken).
  qint64 pendingRun_ = 0;
  bool selectPending_ = false;         ///< Select pendingRun_ in the table once the list is read.
  bool reloadShownIfChanged_ = false;  ///< The store changed: re-read the shown run if it did.
  enum class PlaneState { None, Loading, Drawn, Unavailable } planeState_ = PlaneState::None;
  std::vector<qint64> compareIds_;  ///< The runs the Compare tab holds.
  bool compareLoaded_ = false;
  QString compareError_;  ///< Why the Compare tab could not be read, or "".
  /// The store files' size and change time at the last reload: a change elsewhere in the
  /// folder (SQLite's -shm, other files) reloads nothing.
  QString storeSignature_;
  /// The newest metrics of run shownLastId_ at the last reload: whether another process wrote.
  std::map<QString, double> shownLast_;
  qint64 shownLastId_ = 0;
  bool interactive_ = true;
};

}  // namespace slimlab
