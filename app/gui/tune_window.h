#pragma once
// Tune: the compression of one finished run explored interactively (issue "Tune"). Each control
// change re-compresses a copy of the trained weights and re-evaluates it on a fixed sample of
// validation examples on a worker thread; every setting tried becomes a point on an
// accuracy-against-cost plot; per-layer sensitivity curves are computed on a second worker.
#include <QString>
#include <QWidget>

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "tune/budget_allocation.h"
#include "tune/compression_plan.h"
#include "tune/plan_evaluator.h"

class QCheckBox;
class QComboBox;
class QCustomPlot;
class QDoubleSpinBox;
class QGridLayout;
class QLabel;
class QPushButton;
class QSlider;
class QSpinBox;
class QThread;

namespace slimlab {

struct ExperimentSpec;

class TuneWindow : public QWidget {
  Q_OBJECT

 public:
  /// Opens run `runId` of the store at `storePath`; loading (the run's weights, its data split,
  /// the first 2,000 validation examples) happens on the worker thread: `loaded` or `problem`
  /// follows. GUI thread.
  /// `run`: an id, a name (the newest of that name) or a uuid prefix, as slimlab-cli takes.
  TuneWindow(const QString& storePath, const QString& run, QWidget* parent = nullptr);
  /// Cancels what the workers do and waits for them (at most one evaluation's cancel point).
  ~TuneWindow() override;

  /// Where "Fine-tune" hands the child run's spec (the main window queues it on its run
  /// controller, so it trains and shows live like any run). GUI thread.
  void setFineTune(std::function<void(const ExperimentSpec&)> start) {
    fineTune_ = std::move(start);
  }

  /// Moves one control as a user would: `control` is "sparsity" (percent, 0..95), "rank"
  /// (1..min(m, n); min(m, n) = as trained) or "bits" (2..8; 9 = float); `layer` a module name or
  /// "all" for the global control. False when there is no such control. GUI thread.
  bool setControl(const QString& layer, const QString& control, int value);
  /// The plan the controls show.
  const CompressionPlan& plan() const { return plan_; }
  /// The figures on screen and the plan they belong to; none before the first evaluation.
  std::optional<PlanMetrics> shownMetrics() const;
  const CompressionPlan& shownPlan() const { return shownPlan_; }
  /// Points on the accuracy-against-cost plot (every evaluated setting, as trained first).
  int pointCount() const { return int(points_.size()); }
  /// Shows point `index` again: its plan in the controls, its figures (no re-evaluation).
  void restorePoint(int index);
  void undo();
  void redo();
  /// Allocates per-layer settings for `share` of the trained network's `axis` from the
  /// sensitivity curves (once they are computed) and shows the plan beside the uniform setting.
  void fitBudget(CostAxis axis, double share);
  /// Makes the shown plan a child run fine-tuned for `steps` (spec built on the worker).
  void fineTune(int steps);
  /// The status line ("Evaluating...", a refusal, "Fine-tune queued").
  QString statusText() const;

 Q_SIGNALS:
  void loaded();
  void metricsShown();
  void curvesDone();
  void budgetFitted();
  void fineTuneQueued();
  /// Something the user must read (load refused, budget unreachable); also on the status line.
  void problem(const QString& text);

 private:
  struct Point {
    CompressionPlan plan;
    PlanMetrics metrics;
    bool uniform = false;  ///< The uniform setting a budget fit is compared with.
  };
  struct LayerControls {
    TunableLayer layer;
    QSlider* sparsity = nullptr;
    QSlider* rank = nullptr;
    QSlider* bits = nullptr;
    QLabel* sparsityText = nullptr;
    QLabel* rankText = nullptr;
    QLabel* bitsText = nullptr;
  };

  void onLoaded(qint64 runId, std::vector<TunableLayer> layers, PlanMetrics dense, QString title);
  void buildControls();
  void onSlider(int row, int control);  // row -1: the global controls; control 0/1/2.
  void updateLabels();
  void planFromControls();
  void showPlanInControls(const CompressionPlan& plan);
  /// Shows history entry `at` again (undo / redo).
  void showHistory(int at);
  void requestEvaluation();
  void onEvaluated(qint64 serial, CompressionPlan plan, PlanMetrics metrics);
  void showMetrics(const PlanMetrics& m);
  void drawTradeOff();
  void drawCurves();
  void onPlotClick(double x, double y);
  void setStatus(const QString& text);
  /// Runs `job` on `context`'s worker thread; what it throws becomes the status line and
  /// `problem`. `toGui` runs `call` on the GUI thread (dropped if the window is gone).
  void onWorker(QObject* context, std::function<void()> job);
  void toGui(std::function<void()> call);
  void startCurves();
  double costShare(const PlanMetrics& m) const;  // On the plot's cost axis, % of trained.

  QString storePath_;
  QString run_;       // What the user named; the id once loaded.
  qint64 runId_ = 0;  // 0 until loaded.
  std::function<void(const ExperimentSpec&)> fineTune_;

  // Workers: evaluations (latest request wins) and the sensitivity curves (one long job).
  QThread* evalThread_;
  QObject* evalContext_;
  QThread* curveThread_;
  QObject* curveContext_;
  std::shared_ptr<PlanEvaluator> evaluator_;       // Used on evalThread_ only.
  std::shared_ptr<PlanEvaluator> curveEvaluator_;  // Used on curveThread_ only.
  std::shared_ptr<std::atomic<bool>> evalCancel_;
  std::shared_ptr<std::atomic<bool>> closing_;
  qint64 serial_ = 0;

  std::vector<TunableLayer> layers_;
  std::vector<LayerControls> rows_;
  LayerControls global_;
  PlanMetrics dense_;
  CompressionPlan plan_, shownPlan_;
  std::optional<PlanMetrics> shown_;
  std::vector<Point> points_;
  std::vector<int> history_;  // Indices into points_, for undo / redo.
  int historyAt_ = -1;
  int shownPoint_ = -1;
  std::optional<SensitivityCurves> curves_;
  std::optional<Allocation> fitted_;
  bool restoring_ = false;

  QLabel* title_;
  QLabel* status_;
  QGridLayout* grid_;
  QWidget* controls_;
  QLabel* figures_;
  QComboBox* costAxis_;
  QCustomPlot* tradeOff_;
  QComboBox* curveMethod_;
  QCustomPlot* curvePlot_;
  QComboBox* budgetAxis_;
  QDoubleSpinBox* budgetShare_;
  QComboBox* budgetMethods_;
  QPushButton* fit_;
  QSpinBox* steps_;
  QPushButton* fineTuneButton_;
  QPushButton* undo_;
  QPushButton* redo_;
};

}  // namespace slimlab
