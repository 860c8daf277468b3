#include "plot_style.h"

#include <qcustomplot.h>

namespace slimlab {

void apply_palette(QCustomPlot* plot) {
  const QColor text = plot->palette().color(QPalette::WindowText);
  plot->setBackground(plot->palette().color(QPalette::Base));
  for (auto* axis : {plot->xAxis, plot->yAxis, plot->xAxis2, plot->yAxis2}) {
    axis->setBasePen(QPen(text));
    axis->setTickPen(QPen(text));
    axis->setSubTickPen(QPen(text));
    axis->setTickLabelColor(text);
    axis->setLabelColor(text);
  }
  plot->legend->setTextColor(text);
}

void style_plot(QCustomPlot* plot, const QString& title) {
  apply_palette(plot);
  const QColor text = plot->palette().color(QPalette::WindowText);
  plot->plotLayout()->insertRow(0);
  auto* element = new QCPTextElement(plot, title, QFont(plot->font().family(), 10, QFont::Bold));
  element->setTextColor(text);
  plot->plotLayout()->addElement(0, 0, element);
}

void request_replot(QCustomPlot* plot) {
  if (plot->isVisible()) plot->replot(QCustomPlot::rpQueuedReplot);
}

}  // namespace slimlab
