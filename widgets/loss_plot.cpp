#include "loss_plot.h"

namespace slimlab {

LossPlot::LossPlot(QWidget* parent) : SeriesPlot(tr("loss"), tr("accuracy (%)"), parent) {
  // Colour-blind-safe (Okabe-Ito); validation dashed so it reads in black and white too.
  const QColor blue(0, 114, 178), vermilion(213, 94, 0);
  setStyles(
      {{"train/loss", tr("train loss"), blue},
       {"validation/loss", tr("validation loss"), blue, Qt::DashLine},
       {"train/accuracy", tr("train accuracy"), vermilion, Qt::SolidLine, true, 100.0},
       {"validation/accuracy", tr("validation accuracy"), vermilion, Qt::DashLine, true, 100.0}});
}

void LossPlot::setSeries(const QString& name, const QVector<double>& steps,
                         const QVector<double>& values) {
  std::vector<MetricRow> rows;
  for (int i = 0; i < steps.size() && i < values.size(); ++i) {
    rows.push_back({name.toStdString(), int64_t(steps[i]), 0, values[i]});
  }
  SeriesPlot::setSeries(name.toStdString(), rows);
}

}  // namespace slimlab
