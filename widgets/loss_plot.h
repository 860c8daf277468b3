#pragma once

#include <QString>
#include <QVector>

#include "series_plot.h"

namespace slimlab {

/// Loss and accuracy curves of one run: train (solid) and validation (dashed) loss on the left
/// axis, accuracy (0..100 %) on the right, in the Okabe-Ito colours.
class LossPlot : public SeriesPlot {
  Q_OBJECT
 public:
  explicit LossPlot(QWidget* parent = nullptr);

  /// Replaces curve `name` ("train/loss", "validation/accuracy", ...) with the given points.
  void setSeries(const QString& name, const QVector<double>& steps, const QVector<double>& values);
};

}  // namespace slimlab
