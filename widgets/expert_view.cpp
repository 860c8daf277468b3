#include "expert_view.h"

#include <qcustomplot.h>

#include <QComboBox>
#include <QGridLayout>
#include <QLabel>
#include <QSignalBlocker>
#include <set>

#include "series_plot.h"

#include "plot_style.h"

namespace slimlab {

namespace {

QCPColorMap* add_color_map(QCustomPlot* plot, const QString& scale_label) {
  auto* map = new QCPColorMap(plot->xAxis, plot->yAxis);
  map->setGradient(QCPColorGradient::gpThermal);
  map->setInterpolate(false);
  auto* scale = new QCPColorScale(plot);
  plot->plotLayout()->addElement(1, 1, scale);
  scale->setLabel(scale_label);
  map->setColorScale(scale);
  return map;
}

}  // namespace

ExpertView::ExpertView(QWidget* parent)
    : QWidget(parent),
      layer_(new QComboBox(this)),
      bars_(new QCustomPlot(this)),
      heatmap_(new QCustomPlot(this)),
      routing_(new QCustomPlot(this)),
      health_(new SeriesPlot(tr("load CV"), tr("dropped (%)"), this)) {
  auto* grid = new QGridLayout(this);
  auto* top = new QHBoxLayout;
  top->addWidget(new QLabel(tr("MoE layer:"), this));
  top->addWidget(layer_);
  top->addStretch();
  grid->addLayout(top, 0, 0, 1, 2);
  grid->addWidget(bars_, 1, 0);
  grid->addWidget(heatmap_, 1, 1);
  grid->addWidget(routing_, 2, 0);
  grid->addWidget(health_, 2, 1);
  grid->setRowStretch(1, 1);
  grid->setRowStretch(2, 1);
  grid->setColumnStretch(0, 1);
  grid->setColumnStretch(1, 1);
  style_plot(bars_, tr("Load share per expert (latest window)"));
  style_plot(heatmap_, tr("Load share over training"));
  style_plot(routing_, tr("Classes to experts (first choice, latest evaluation)"));
  health_->setTitle(tr("Router health"));
  bars_->xAxis->setLabel(tr("expert"));
  bars_->yAxis->setLabel(tr("share of assignments (%)"));
  heatmap_->xAxis->setLabel(tr("step"));
  heatmap_->yAxis->setLabel(tr("expert"));
  routing_->xAxis->setLabel(tr("expert"));
  routing_->yAxis->setLabel(tr("class"));
  add_color_map(heatmap_, tr("share (%)"));
  add_color_map(routing_, tr("share of class (%)"));
  // Experts and classes are whole numbers: ticks on them (thinned when there are many).
  for (auto* axis : {heatmap_->yAxis, routing_->xAxis, routing_->yAxis, bars_->xAxis}) {
    auto ticker = QSharedPointer<QCPAxisTickerFixed>::create();
    ticker->setTickStep(1.0);
    ticker->setScaleStrategy(QCPAxisTickerFixed::ssMultiples);
    axis->setTicker(ticker);
  }
  new QCPBars(bars_->xAxis, bars_->yAxis);
  new QCPBars(bars_->xAxis, bars_->yAxis);
  connect(layer_, &QComboBox::currentIndexChanged, this, [this] { draw(); });
}

void ExpertView::showRun(const RunData& run) {
  run_ = run;
  std::set<int64_t> layers;
  for (const auto& row : run.expert_load) layers.insert(row.layer);
  if (int(layers.size()) != layer_->count()) {
    QSignalBlocker block(layer_);
    layer_->clear();
    for (auto l : layers) layer_->addItem(tr("layer %1").arg(l), qint64(l));
  }
  draw();
}

void ExpertView::draw() {
  const int64_t layer = layer_->count() > 0 ? layer_->currentData().toLongLong() : 0;
  std::vector<const ExpertLoadRow*> rows;
  for (const auto& row : run_.expert_load) {
    if (row.layer == layer) rows.push_back(&row);
  }
  // Bars: the latest window; experts that got nothing are dead (red).
  auto* live = qobject_cast<QCPBars*>(bars_->plottable(0));
  auto* dead = qobject_cast<QCPBars*>(bars_->plottable(1));
  live->setBrush(QColor(0, 114, 178));
  dead->setBrush(QColor(213, 94, 0));
  live->setName(tr("live"));
  QVector<double> keys, values, dead_keys, dead_values;
  if (!rows.empty()) {
    const auto& load = rows.back()->load;
    for (size_t e = 0; e < load.size(); ++e) {
      bool is_dead = load[e] <= 0.0f;
      (is_dead ? dead_keys : keys).push_back(double(e));
      (is_dead ? dead_values : values).push_back(is_dead ? 1.0 : 100.0 * load[e]);
    }
    bars_->clearItems();
    auto* uniform = new QCPItemStraightLine(bars_);
    uniform->point1->setCoords(0, 100.0 / double(load.size()));
    uniform->point2->setCoords(1, 100.0 / double(load.size()));
    uniform->setPen(QPen(Qt::gray, 1, Qt::DashLine));
    bars_->xAxis->setRange(-0.6, double(load.size()) - 0.4);
  }
  live->setData(keys, values);
  dead->setData(dead_keys, dead_values);
  bars_->yAxis->rescale();
  bars_->yAxis->setRangeLower(0);
  request_replot(bars_);

  // Heatmap: one column per logged window.
  auto* heat = qobject_cast<QCPColorMap*>(heatmap_->plottable(0));
  if (!rows.empty()) {
    int experts = int(rows.back()->load.size());
    int columns = int(rows.size());
    heat->data()->setSize(columns, experts);
    heat->data()->setRange(QCPRange(double(rows.front()->step), double(rows.back()->step)),
                           QCPRange(0, experts - 1));
    for (int c = 0; c < columns; ++c) {
      for (int e = 0; e < experts && e < int(rows[size_t(c)]->load.size()); ++e) {
        heat->data()->setCell(c, e, 100.0 * rows[size_t(c)]->load[size_t(e)]);
      }
    }
    heat->rescaleDataRange(true);
    heatmap_->rescaleAxes();
    heatmap_->yAxis->setRange(-0.5, experts - 0.5);  // Whole cells, not halves at the edges.
  }
  request_replot(heatmap_);

  // Routing matrix: the newest evaluation of this layer, each class row as shares.
  auto* matrix = qobject_cast<QCPColorMap*>(routing_->plottable(0));
  const RoutingMatrixRow* newest = nullptr;
  for (const auto& r : run_.routing) {
    if (r.layer == layer && (newest == nullptr || r.step >= newest->step)) newest = &r;
  }
  if (newest != nullptr && newest->classes > 0 && newest->experts > 0) {
    matrix->data()->setSize(int(newest->experts), int(newest->classes));
    matrix->data()->setRange(QCPRange(0, double(newest->experts - 1)),
                             QCPRange(0, double(newest->classes - 1)));
    for (int64_t c = 0; c < newest->classes; ++c) {
      double total = 0;
      for (int64_t e = 0; e < newest->experts; ++e) {
        total += double(newest->counts[size_t(c * newest->experts + e)]);
      }
      for (int64_t e = 0; e < newest->experts; ++e) {
        double n = double(newest->counts[size_t(c * newest->experts + e)]);
        matrix->data()->setCell(int(e), int(c), total > 0 ? 100.0 * n / total : 0.0);
      }
    }
    matrix->setDataRange(QCPRange(0, 100));
    routing_->xAxis->setRange(-0.5, double(newest->experts) - 0.5);
    routing_->yAxis->setRange(-0.5, double(newest->classes) - 0.5);
  }
  request_replot(routing_);

  const std::string prefix = "moe/" + std::to_string(layer) + "/";
  health_->setStyles(
      {{prefix + "load_cv", tr("load CV"), QColor(0, 114, 178)},
       {prefix + "dropped_share", tr("dropped"), QColor(213, 94, 0), Qt::SolidLine, true, 100.0}});
  health_->showRun(run_);
}

}  // namespace slimlab
