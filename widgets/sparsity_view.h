#pragma once

#include <QWidget>
#include <vector>

#include "run_data.h"

class QCustomPlot;
class QPlainTextEdit;

namespace slimlab {

class SeriesPlot;

/// A pruning run: per-layer sparsity against the schedule's target (bars), global sparsity
/// against the target over time, the histogram of the surviving weights' magnitudes with the
/// pruning threshold, and the final per-layer table with the reality summary.
class SparsityView : public QWidget {
  Q_OBJECT
 public:
  explicit SparsityView(QWidget* parent = nullptr);
  void showRun(const RunData& run);
  /// log10 |w| histogram of the pruned layers' non-zero weights and the threshold (the smallest
  /// kept |w|), computed by the caller from the weights; empty clears it.
  void setWeightHistogram(const std::vector<double>& log10_edges, const std::vector<double>& counts,
                          double threshold);

  QCustomPlot* layerPlot() const { return layers_; }
  SeriesPlot* globalPlot() const { return global_; }

 private:
  QCustomPlot* layers_;
  SeriesPlot* global_;
  QCustomPlot* histogram_;
  QPlainTextEdit* report_;
};

}  // namespace slimlab
