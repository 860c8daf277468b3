#pragma once

#include <QWidget>

#include "run_data.h"

class QComboBox;
class QCustomPlot;

namespace slimlab {

class SeriesPlot;

/// How a mixture of experts uses its experts, for one MoE layer: the latest load share per
/// expert against the uniform share (dead experts in red), a step x expert heatmap of load
/// share, the class x expert routing matrix of the latest evaluation (rows sum to 1), and the
/// load CV and dropped share over time.
class ExpertView : public QWidget {
  Q_OBJECT
 public:
  explicit ExpertView(QWidget* parent = nullptr);
  void showRun(const RunData& run);

  QCustomPlot* barsPlot() const { return bars_; }
  QCustomPlot* heatmapPlot() const { return heatmap_; }
  QCustomPlot* routingPlot() const { return routing_; }

 private:
  void draw();
  QComboBox* layer_;
  QCustomPlot* bars_;
  QCustomPlot* heatmap_;
  QCustomPlot* routing_;
  SeriesPlot* health_;
  RunData run_;
};

}  // namespace slimlab
