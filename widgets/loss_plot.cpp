#include "loss_plot.h"

#include <qcustomplot.h>

#include <QVBoxLayout>

namespace slimlab {
namespace {

struct Style {
  const char* name;
  const char* label;
  QColor color;
  Qt::PenStyle pen;
  bool accuracy;
};

// Colour-blind-safe (Okabe-Ito) colours; validation dashed so it reads in black and white too.
const Style kStyles[] = {
    {"train/loss", "train loss", QColor(0, 114, 178), Qt::SolidLine, false},
    {"validation/loss", "validation loss", QColor(0, 114, 178), Qt::DashLine, false},
    {"train/accuracy", "train accuracy", QColor(213, 94, 0), Qt::SolidLine, true},
    {"validation/accuracy", "validation accuracy", QColor(213, 94, 0), Qt::DashLine, true},
};

}  // namespace

LossPlot::LossPlot(QWidget* parent) : QWidget(parent), plot_(new QCustomPlot(this)) {
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(0, 0, 0, 0);
  layout->addWidget(plot_);
  plot_->xAxis->setLabel("step");
  plot_->yAxis->setLabel("loss");
  plot_->yAxis2->setVisible(true);
  plot_->yAxis2->setLabel("accuracy (%)");
  plot_->yAxis2->setRange(0, 100);
  plot_->legend->setVisible(true);
  plot_->legend->setFont(QFont(font().family(), 9));
  plot_->axisRect()->insetLayout()->setInsetAlignment(0, Qt::AlignRight | Qt::AlignVCenter);
  for (const auto& s : kStyles) {
    auto* graph = plot_->addGraph(plot_->xAxis, s.accuracy ? plot_->yAxis2 : plot_->yAxis);
    graph->setName(s.label);
    graph->setPen(QPen(s.color, 1.5, s.pen));
    graph->setAdaptiveSampling(true);
  }
  plot_->setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);
}

void LossPlot::setSeries(const QString& name, const QVector<double>& steps,
                         const QVector<double>& values) {
  for (int i = 0; i < int(std::size(kStyles)); ++i) {
    if (name != kStyles[i].name) continue;
    QVector<double> shown = values;
    if (kStyles[i].accuracy) {
      for (auto& v : shown) v *= 100.0;
    }
    plot_->graph(i)->setData(steps, shown, /*alreadySorted=*/true);
  }
  plot_->xAxis->rescale();
  // Loss axis: from 0 to the highest train or validation loss.
  QCPRange loss(0, 1);
  bool any = false;
  for (int i = 0; i < 2; ++i) {
    bool ok = false;
    auto range = plot_->graph(i)->getValueRange(ok);
    if (!ok) continue;
    if (any) {
      loss.expand(range);
    } else {
      loss = range;
      any = true;
    }
  }
  plot_->yAxis->setRange(0, any ? loss.upper * 1.05 : 1.0);
  plot_->replot(QCustomPlot::rpQueuedReplot);
}

void LossPlot::clear() {
  for (int i = 0; i < plot_->graphCount(); ++i) plot_->graph(i)->data()->clear();
  plot_->replot(QCustomPlot::rpQueuedReplot);
}

void LossPlot::setTitle(const QString& title) {
  if (plot_->plotLayout()->rowCount() == 1) {
    plot_->plotLayout()->insertRow(0);
    plot_->plotLayout()->addElement(
        0, 0, new QCPTextElement(plot_, title, QFont(font().family(), 11, QFont::Bold)));
  } else if (auto* text = qobject_cast<QCPTextElement*>(plot_->plotLayout()->element(0, 0))) {
    text->setText(title);
  }
  plot_->replot(QCustomPlot::rpQueuedReplot);
}

}  // namespace slimlab
