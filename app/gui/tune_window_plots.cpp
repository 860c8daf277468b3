// The Tune window's figures and plots: the accuracy-against-cost plot of every setting tried and
// the per-layer sensitivity curves. GUI thread.
#include <qcustomplot.h>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QLabel>
#include <QMouseEvent>
#include <QPushButton>
#include <cmath>

#include "plot_style.h"
#include "tune_window.h"
#include "tune_window_parts.h"

namespace slimlab {
using namespace tune_ui;

void TuneWindow::showMetrics(const PlanMetrics& m) {
  auto share = [](int64_t part, int64_t whole) {
    return QString::number(100.0 * double(part) / double(whole), 'f', 1) + "%";
  };
  const auto& d = dense_.cost;
  figures_->setText(
      tr("<span style='font-size:15pt'><b>accuracy %1</b> (trained %2) &nbsp; loss %3</span><br>"
         "parameters %4 (%5) &nbsp; bytes %6 (%7) &nbsp; MACs/sample %8 (%9)<br>"
         "<small>%10</small>")
          .arg(percent(m.accuracy), percent(dense_.accuracy))
          .arg(m.loss, 0, 'f', 4)
          .arg(number(m.cost.params), share(m.cost.params, d.params))
          .arg(number(m.cost.bytes), share(m.cost.bytes, d.bytes))
          .arg(number(m.cost.macs), share(m.cost.macs, d.macs))
          .arg(tr("Pruned zeros are stored dense: bytes fall only with bits. MACs skip zero "
                  "weights (effective MACs). Latency is not measured here: fake quantisation "
                  "and masks compute in float.")));
}

double TuneWindow::costShare(const PlanMetrics& m) const {
  const auto axis = CostAxis(costAxis_->currentIndex());
  return 100.0 * double(cost_on(m.cost, axis)) / double(cost_on(dense_.cost, axis));
}

void TuneWindow::drawTradeOff() {
  tradeOff_->clearGraphs();
  auto graph = [&](const QColor& color, QCPScatterStyle::ScatterShape shape, double size,
                   const QString& name) {
    auto* g = tradeOff_->addGraph();
    g->setLineStyle(QCPGraph::lsNone);
    g->setScatterStyle(QCPScatterStyle(shape, color, size));
    g->setName(name);
    return g;
  };
  auto* tried = graph(QColor(140, 140, 140), QCPScatterStyle::ssDisc, 6, tr("tried"));
  auto* uniform = graph(QColor(0, 140, 70), QCPScatterStyle::ssDiamond, 10, tr("uniform"));
  auto* trained = graph(QColor(30, 90, 200), QCPScatterStyle::ssDisc, 10, tr("as trained"));
  auto* shown = tradeOff_->addGraph();
  shown->setLineStyle(QCPGraph::lsNone);
  shown->setScatterStyle(
      QCPScatterStyle(QCPScatterStyle::ssCircle, QPen(QColor(220, 40, 40), 2.5), Qt::NoBrush, 16));
  shown->setName(tr("shown"));
  double lo = 100, hi = 0;
  for (size_t i = 0; i < points_.size(); ++i) {
    const auto& p = points_[i];
    const double x = costShare(p.metrics), y = 100 * p.metrics.accuracy;
    (i == 0 ? trained : p.uniform ? uniform : tried)->addData(x, y);
    if (int(i) == shownPoint_) shown->addData(x, y);
    lo = std::min(lo, y);
    hi = std::max(hi, y);
  }
  tradeOff_->xAxis->setRange(0, 105);
  tradeOff_->yAxis->setRange(std::max(0.0, lo - 3), std::min(100.0, hi + 2));
  request_replot(tradeOff_);
  undo_->setEnabled(historyAt_ > 0);
  redo_->setEnabled(historyAt_ + 1 < int(history_.size()));
}

void TuneWindow::onPlotClick(double x, double y) {
  int best = -1;
  double bestDistance = 12;  // Pixels.
  for (size_t i = 0; i < points_.size(); ++i) {
    const double px = tradeOff_->xAxis->coordToPixel(costShare(points_[i].metrics));
    const double py = tradeOff_->yAxis->coordToPixel(100 * points_[i].metrics.accuracy);
    const double d = std::hypot(px - x, py - y);
    if (d < bestDistance) {
      bestDistance = d;
      best = int(i);
    }
  }
  if (best >= 0) restorePoint(best);
}

void TuneWindow::drawCurves() {
  curvePlot_->clearGraphs();
  if (!curves_) return;
  const auto method = TuneMethod(curveMethod_->currentIndex());
  static const QColor kColours[] = {QColor(31, 119, 180),  QColor(255, 127, 14),
                                    QColor(44, 160, 44),   QColor(214, 39, 40),
                                    QColor(148, 103, 189), QColor(140, 86, 75)};
  int colour = 0;
  for (const auto& layer : layers_) {
    QVector<double> xs, ys;
    for (const auto& p : curves_->points) {
      if (p.layer != layer.name || p.method != method) continue;
      double x = 0;
      if (method == TuneMethod::Prune) x = 100 * *p.setting.sparsity;
      if (method == TuneMethod::LowRank) {
        x = 100.0 * double(p.layer_cost.params - layer.bias) / double(layer.out * layer.in);
      }
      if (method == TuneMethod::Quant) x = double(*p.setting.bits);
      xs.push_back(x);
      ys.push_back(100 * p.accuracy);
    }
    if (xs.isEmpty()) continue;
    auto* g = curvePlot_->addGraph();
    g->setData(xs, ys);
    g->setPen(QPen(kColours[colour++ % 6], 2));
    g->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssDisc, 5));
    g->setName(QString::fromStdString(layer.name));
  }
  const QString x = method == TuneMethod::Prune     ? tr("sparsity of the layer, %")
                    : method == TuneMethod::LowRank ? tr("parameters of the layer kept, %")
                                                    : tr("bits per weight");
  curvePlot_->xAxis->setLabel(x);
  curvePlot_->yAxis->setLabel(tr("accuracy, %"));
  auto* trained = curvePlot_->addGraph();
  trained->setName(tr("as trained"));
  trained->setPen(QPen(QColor(120, 120, 120), 1, Qt::DashLine));
  const double lo = method == TuneMethod::Quant ? 2 : 0, hi = method == TuneMethod::Quant ? 8 : 100;
  trained->setData(QVector<double>{lo, hi},
                   QVector<double>{100 * curves_->dense.accuracy, 100 * curves_->dense.accuracy});
  curvePlot_->legend->setVisible(true);
  curvePlot_->rescaleAxes();
  curvePlot_->yAxis->setRangeUpper(std::min(100.0, curvePlot_->yAxis->range().upper + 2));
  set_plot_title(curvePlot_, tr("Each layer alone, the rest as trained (%1 evaluations in %2 s)")
                                 .arg(curves_->points.size())
                                 .arg(curves_->seconds, 0, 'f', 1));
  request_replot(curvePlot_);
}

}  // namespace slimlab
