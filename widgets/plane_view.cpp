#include "plane_view.h"

#include <qcustomplot.h>

#include <QHBoxLayout>
#include <algorithm>

#include "plot_style.h"

namespace slimlab {
namespace {

// Classes: Okabe-Ito, dark points on their own light decision regions.
const QColor kClass[] = {{0, 114, 178}, {213, 94, 0},   {0, 158, 115},  {204, 121, 167},
                         {230, 159, 0}, {86, 180, 233}, {240, 228, 66}, {0, 0, 0}};
// Experts: Paul Tol's "light" set without its blue and orange, so that no expert region
// reads as a class and the class-coloured points stay visible on every region.
const QColor kExpert[] = {{0x44, 0xBB, 0x99}, {0xEE, 0xDD, 0x88}, {0xCC, 0xAA, 0xDD},
                          {0xDD, 0xDD, 0xDD}, {0xBB, 0xCC, 0x33}, {0x99, 0xDD, 0xFF},
                          {0xFF, 0xAA, 0xBB}, {0xAA, 0xAA, 0x00}};

QColor class_region(int c) { return kClass[size_t(c) % std::size(kClass)].lighter(160); }
QColor expert_region(int e) { return kExpert[size_t(e) % std::size(kExpert)]; }

// A gradient with one flat colour per category 0..n-1.
QCPColorGradient categories(int n, QColor (*color)(int)) {
  QCPColorGradient g;
  g.clearColorStops();
  g.setLevelCount(std::max(2, n));
  for (int i = 0; i < n; ++i) g.setColorStopAt(n == 1 ? 0.0 : double(i) / double(n - 1), color(i));
  return g;
}

void fill(QCustomPlot* plot, int size, double x0, double x1, double y0, double y1, int n,
          QColor (*color)(int), const std::vector<int>& cells) {
  if (cells.empty()) return;
  auto* map = new QCPColorMap(plot->xAxis, plot->yAxis);
  map->removeFromLegend();
  map->data()->setSize(size, size);
  map->data()->setRange(QCPRange(x0, x1), QCPRange(y0, y1));
  for (int y = 0; y < size; ++y) {
    for (int x = 0; x < size; ++x) map->data()->setCell(x, y, cells[size_t(y * size + x)]);
  }
  map->setGradient(categories(n, color));
  map->setDataRange(QCPRange(0, std::max(1, n - 1)));
  map->setInterpolate(false);
}

// The key of a region colour: an empty bar series shows as a filled square in the legend.
void region_key(QCustomPlot* plot, const QString& name, const QColor& color) {
  auto* key = new QCPBars(plot->xAxis, plot->yAxis);
  key->setName(name);
  key->setBrush(color);
  key->setPen(QPen(color.darker(130)));
}

void points(QCustomPlot* plot, const std::vector<double>& px, const std::vector<double>& py,
            const std::vector<int>& label, int classes) {
  for (int c = 0; c < classes; ++c) {
    auto* g = plot->addGraph();
    g->setName(QObject::tr("class %1").arg(c));
    g->setLineStyle(QCPGraph::lsNone);
    g->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssDisc, kClass[c % std::size(kClass)], 5));
    for (size_t i = 0; i < label.size(); ++i) {
      if (label[i] == c) g->addData(px[i], py[i]);
    }
  }
}

// Equal units per pixel on both axes, with the map as large as the plot allows: the axis rect
// is laid out with automatic margins (room for ticks and labels), then the margins grow on the
// longer side so that the data rect has the plane's proportions and sits in the middle.
void keep_square(QCustomPlot* plot, const QCPRange& x, const QCPRange& y) {
  auto* rect = plot->axisRect();
  auto relayout = [plot] {
    plot->plotLayout()->update(QCPLayoutElement::upPreparation);
    plot->plotLayout()->update(QCPLayoutElement::upMargins);
    plot->plotLayout()->update(QCPLayoutElement::upLayout);
  };
  rect->setAutoMargins(QCP::msAll);
  relayout();
  const QMargins automatic = rect->margins();
  const double w = rect->width(), h = rect->height();
  if (w < 10 || h < 10 || x.size() <= 0 || y.size() <= 0) return;
  const double aspect = x.size() / y.size();
  const int extra_w = w / h > aspect ? int(w - h * aspect) : 0;
  const int extra_h = w / h > aspect ? 0 : int(h - w / aspect);
  rect->setAutoMargins(QCP::msNone);
  rect->setMargins(
      automatic + QMargins(extra_w / 2, extra_h / 2, extra_w - extra_w / 2, extra_h - extra_h / 2));
  plot->xAxis->setRange(x);
  plot->yAxis->setRange(y);
  plot->plotLayout()->update(QCPLayoutElement::upLayout);
}

}  // namespace

PlaneView::PlaneView(QWidget* parent)
    : QWidget(parent), decision_(new QCustomPlot(this)), expert_(new QCustomPlot(this)) {
  auto* layout = new QHBoxLayout(this);
  layout->addWidget(decision_, 1);  // Equal halves, whatever each title and key asks for.
  layout->addWidget(expert_, 1);
  style_plot(decision_, tr("Class the model decides"));
  style_plot(expert_, tr("Expert the router picks (first MoE layer)"));
  for (auto* plot : {decision_, expert_}) {
    plot->legend->setVisible(true);
    put_legend_below(plot);
    connect(plot, &QCustomPlot::afterLayout, this, [this, plot] {
      if (plot->plottableCount() > 0) keep_square(plot, QCPRange(x0_, x1_), QCPRange(y0_, y1_));
    });
  }
}

void PlaneView::setMaps(int size, double x0, double x1, double y0, double y1, int classes,
                        int experts, const std::vector<int>& decision,
                        const std::vector<int>& expert, const std::vector<double>& px,
                        const std::vector<double>& py, const std::vector<int>& label) {
  x0_ = x0;
  x1_ = x1;
  y0_ = y0;
  y1_ = y1;
  for (auto* plot : {decision_, expert_}) {
    plot->clearPlottables();
    plot->xAxis->setLabel("x1");
    plot->yAxis->setLabel("x2");
  }
  fill(decision_, size, x0, x1, y0, y1, classes, class_region, decision);
  fill(expert_, size, x0, x1, y0, y1, experts, expert_region, expert);
  points(decision_, px, py, label, classes);
  if (!expert.empty()) {
    for (int e = 0; e < experts; ++e) region_key(expert_, tr("expert %1").arg(e), expert_region(e));
  }
  points(expert_, px, py, label, classes);
  // A model without MoE layers has no router: its map would be points on an empty plane.
  expert_->setVisible(!expert.empty());
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
    plot->yAxis->setLabel(QString());
    request_replot(plot);
  }
}

}  // namespace slimlab
