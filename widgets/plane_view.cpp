#include "plane_view.h"

#include <qcustomplot.h>

#include <QHBoxLayout>

#include "plot_style.h"

namespace slimlab {
namespace {

const QColor kClass[] = {{0, 114, 178}, {213, 94, 0},   {0, 158, 115},  {204, 121, 167},
                         {230, 159, 0}, {86, 180, 233}, {240, 228, 66}, {0, 0, 0}};

// A gradient with one flat, light colour per category 0..n-1.
QCPColorGradient categories(int n) {
  QCPColorGradient g;
  g.clearColorStops();
  g.setLevelCount(std::max(2, n));
  for (int i = 0; i < n; ++i) {
    QColor c = kClass[i % std::size(kClass)].lighter(160);
    g.setColorStopAt(n == 1 ? 0.0 : double(i) / double(n - 1), c);
  }
  return g;
}

void fill(QCustomPlot* plot, int size, double x0, double x1, double y0, double y1, int n,
          const std::vector<int>& cells) {
  plot->clearPlottables();
  if (cells.empty()) return;
  auto* map = new QCPColorMap(plot->xAxis, plot->yAxis);
  map->data()->setSize(size, size);
  map->data()->setRange(QCPRange(x0, x1), QCPRange(y0, y1));
  for (int y = 0; y < size; ++y) {
    for (int x = 0; x < size; ++x) map->data()->setCell(x, y, cells[size_t(y * size + x)]);
  }
  map->setGradient(categories(n));
  map->setDataRange(QCPRange(0, std::max(1, n - 1)));
  map->setInterpolate(false);
}

void points(QCustomPlot* plot, const std::vector<double>& px, const std::vector<double>& py,
            const std::vector<int>& label, int classes) {
  for (int c = 0; c < classes; ++c) {
    auto* g = plot->addGraph();
    g->setLineStyle(QCPGraph::lsNone);
    g->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssDisc, kClass[c % std::size(kClass)], 4));
    for (size_t i = 0; i < label.size(); ++i) {
      if (label[i] == c) g->addData(px[i], py[i]);
    }
  }
}

}  // namespace

PlaneView::PlaneView(QWidget* parent)
    : QWidget(parent), decision_(new QCustomPlot(this)), expert_(new QCustomPlot(this)) {
  auto* layout = new QHBoxLayout(this);
  layout->addWidget(decision_);
  layout->addWidget(expert_);
  style_plot(decision_, tr("Class the model decides"));
  style_plot(expert_, tr("Expert the router picks (first MoE layer)"));
}

void PlaneView::setMaps(int size, double x0, double x1, double y0, double y1, int classes,
                        int experts, const std::vector<int>& decision,
                        const std::vector<int>& expert, const std::vector<double>& px,
                        const std::vector<double>& py, const std::vector<int>& label) {
  fill(decision_, size, x0, x1, y0, y1, classes, decision);
  fill(expert_, size, x0, x1, y0, y1, experts, expert);
  points(decision_, px, py, label, classes);
  points(expert_, px, py, label, classes);
  for (auto* plot : {decision_, expert_}) {
    plot->xAxis->setRange(x0, x1);
    plot->yAxis->setRange(y0, y1);
    request_replot(plot);
  }
}

void PlaneView::clear(const QString& why) {
  for (auto* plot : {decision_, expert_}) {
    plot->clearPlottables();
    plot->xAxis->setLabel(why);
    request_replot(plot);
  }
}

}  // namespace slimlab
