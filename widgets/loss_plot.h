#pragma once

#include <QString>
#include <QVector>
#include <QWidget>

class QCustomPlot;

namespace slimlab {

/// Loss and accuracy curves of one run against optimiser steps: loss on the left axis,
/// accuracy (0..100 %) on the right. Draws values it is given; knows nothing of training.
class LossPlot : public QWidget {
  Q_OBJECT
 public:
  explicit LossPlot(QWidget* parent = nullptr);

  /// Replaces curve `name` ("train/loss", "validation/accuracy", ...) with the given points.
  void setSeries(const QString& name, const QVector<double>& steps, const QVector<double>& values);
  void clear();
  void setTitle(const QString& title);
  QCustomPlot* plot() const { return plot_; }

 private:
  QCustomPlot* plot_;
};

}  // namespace slimlab
