#pragma once

#include <QWidget>

#include "run_data.h"

namespace slimlab {

class SeriesPlot;

/// A distillation run: the loss's hard (CE) and soft (KL) parts, and the student's validation
/// accuracy against the teacher's with their top-1 agreement.
class DistillView : public QWidget {
  Q_OBJECT
 public:
  explicit DistillView(QWidget* parent = nullptr);
  void showRun(const RunData& run);
  SeriesPlot* lossPlot() const { return losses_; }
  SeriesPlot* accuracyPlot() const { return accuracy_; }

 private:
  SeriesPlot* losses_;
  SeriesPlot* accuracy_;
};

}  // namespace slimlab
