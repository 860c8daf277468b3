// The Tune window's work off the GUI thread: evaluations (the latest request wins, a stale one is
// cancelled), the sensitivity curves, budget fits and the child run's spec.
#include <qcustomplot.h>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QLabel>
#include <QMouseEvent>
#include <QPushButton>
#include <cmath>

#include "plot_style.h"
#include "spec/experiment_spec.h"
#include "tune/plan_run.h"
#include "tune_window.h"
#include "tune_window_parts.h"

namespace slimlab {
using namespace tune_ui;

void TuneWindow::requestEvaluation() {
  if (layers_.empty()) return;  // Not loaded (or refused).
  evalCancel_->store(true);     // Whatever runs now is stale.
  evalCancel_ = std::make_shared<std::atomic<bool>>(false);
  const qint64 serial = ++serial_;
  setStatus(tr("Evaluating..."));
  onWorker(evalContext_, [this, cancel = evalCancel_, plan = plan_, serial] {
    if (cancel->load()) return;
    auto m = evaluator_->evaluate(plan, cancel.get());
    if (m) toGui([this, serial, plan, m = *m] { onEvaluated(serial, plan, m); });
  });
}

void TuneWindow::onEvaluated(qint64 serial, CompressionPlan plan, PlanMetrics metrics) {
  if (serial != serial_) return;  // The user has moved on.
  points_.push_back({plan, metrics, false});
  const int index = int(points_.size()) - 1;
  history_.resize(size_t(historyAt_ + 1));
  history_.push_back(index);
  historyAt_ = int(history_.size()) - 1;
  shownPoint_ = index;
  shownPlan_ = plan;
  shown_ = metrics;
  showMetrics(metrics);
  drawTradeOff();
  setStatus(tr("Evaluated in %1 ms.").arg(metrics.eval_ms, 0, 'f', 0));
  Q_EMIT metricsShown();
}

void TuneWindow::startCurves() {
  const std::string store = storePath_.toStdString(), run = run_.toStdString();
  onWorker(curveContext_, [this, store, run, closing = closing_] {
    curveEvaluator_ = std::make_shared<PlanEvaluator>(store, run, kSamples);
    auto progress = [this](size_t done, size_t total) {
      toGui([this, done, total] {
        set_plot_title(curvePlot_,
                       tr("Sensitivity curves: computing %1 of %2").arg(done).arg(total));
        request_replot(curvePlot_);
      });
    };
    auto curves = sensitivity_curves(*curveEvaluator_,
                                     {TuneMethod::Prune, TuneMethod::LowRank, TuneMethod::Quant},
                                     progress, closing.get());
    if (!curves) return;
    toGui([this, c = *curves] {
      curves_ = c;
      fit_->setEnabled(true);
      fit_->setToolTip(
          tr("Allocate per-layer settings from the curves (AIMET's greedy selection)"));
      drawCurves();
      Q_EMIT curvesDone();
    });
  });
}

void TuneWindow::fitBudget(CostAxis axis, double share) {
  if (!curves_) {
    setStatus(tr("The sensitivity curves are still being computed; Fit needs them."));
    return;
  }
  const auto methods = fit_methods()[size_t(budgetMethods_->currentIndex())].second;
  Budget budget;
  budget.axis = axis;
  budget.fraction = share;
  setStatus(tr("Fitting %1...").arg(QString::fromStdString(describe_budget(budget))));
  onWorker(curveContext_, [this, budget, methods, curves = *curves_] {
    auto allocation = allocate_budget(*curveEvaluator_, curves, methods, budget, "budget");
    std::vector<Point> uniform;
    for (const auto& u : uniform_plans(*curveEvaluator_, methods, budget)) {
      if (auto m = curveEvaluator_->evaluate(u.plan, closing_.get())) {
        uniform.push_back({u.plan, *m, true});
      }
    }
    toGui([this, allocation, uniform] {
      fitted_ = allocation;
      for (const auto& u : uniform) points_.push_back(u);
      showPlanInControls(allocation.plan);
      requestEvaluation();
      drawTradeOff();
      Q_EMIT budgetFitted();
    });
  });
}

void TuneWindow::fineTune(int steps) {
  const std::string store = storePath_.toStdString(), run = run_.toStdString();
  setStatus(tr("Preparing the child run..."));
  onWorker(evalContext_, [this, store, run, plan = shownPlan_, steps] {
    auto spec = plan_spec(store, run, plan, steps, "Fine-tune");
    toGui([this, spec] {
      if (fineTune_) fineTune_(spec);
      setStatus(tr("Fine-tuning queued as run \"%1\" (a child of run %2); it trains in the main "
                   "window.")
                    .arg(QString::fromStdString(spec.name))
                    .arg(runId_));
      Q_EMIT fineTuneQueued();
    });
  });
}

void TuneWindow::onWorker(QObject* context, std::function<void()> job) {
  QMetaObject::invokeMethod(
      context,
      [this, job = std::move(job)] {
        try {
          job();
        } catch (const std::exception& e) {
          const QString text = QString::fromStdString(e.what());
          toGui([this, text] {
            if (layers_.empty()) title_->setText(tr("Cannot tune run %1").arg(run_));
            setStatus(text);
            Q_EMIT problem(text);
          });
        }
      },
      Qt::QueuedConnection);
}

void TuneWindow::toGui(std::function<void()> call) {
  QMetaObject::invokeMethod(this, std::move(call), Qt::QueuedConnection);
}

}  // namespace slimlab
