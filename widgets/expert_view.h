#pragma once

#include <QStringList>
#include <QWidget>

#include "run_data.h"

class QComboBox;
class QCustomPlot;

namespace slimlab {

class SeriesPlot;

/// How a mixture of experts uses its experts, for one MoE layer: the latest load share per
/// expert against the uniform share (dead experts in red), a step x expert heatmap of load
/// share, the class x expert routing matrix of the latest evaluation (rows sum to 100 %, class
/// names on the axis, the share in each cell where it fits), and the load CV and dropped share
/// over time. Heatmaps use viridis with a labelled colour scale; hovering a cell gives its value.
class ExpertView : public QWidget {
  Q_OBJECT
 public:
  explicit ExpertView(QWidget* parent = nullptr);
  void showRun(const RunData& run);

  /// Hover text of the step x expert heatmap at (step, expert), e.g.
  /// "step 1200, expert 2: 31.5% of assignments"; "" outside the data.
  QString loadTip(double step, double expert) const;
  /// Hover text of the routing matrix at (expert, class), e.g.
  /// "Trouser -> expert 3: 84.2% of the class (758 of 900)"; "" outside the data.
  QString routingTip(double expert, double cls) const;

  QCustomPlot* barsPlot() const { return bars_; }
  QCustomPlot* heatmapPlot() const { return heatmap_; }
  QCustomPlot* routingPlot() const { return routing_; }

 private:
  void draw();
  void drawRouting(int64_t layer);
  void showCellValues();
  QComboBox* layer_;
  QCustomPlot* bars_;
  QCustomPlot* heatmap_;
  QCustomPlot* routing_;
  SeriesPlot* health_;
  RunData run_;
  RoutingMatrixRow routing_shown_;  ///< The evaluation the routing matrix draws.
  QStringList classes_;             ///< Names of routing_shown_'s classes.
};

/// Display names of a dataset's classes: Fashion-MNIST's ten ("T-shirt/top", ..., "Ankle
/// boot"), otherwise "0", "1", ... (core's class_names(), which widgets cannot include without
/// LibTorch's headers). `dataset` is the spec's name, e.g. "fashion-mnist".
QStringList class_labels(const QString& dataset, int64_t classes);

}  // namespace slimlab
