#include "expert_view.h"

#include <qcustomplot.h>

#include <QComboBox>
#include <QGridLayout>
#include <QLabel>
#include <QSignalBlocker>
#include <cmath>
#include <set>

#include "plot_style.h"
#include "series_plot.h"

namespace slimlab {

namespace {

// A viridis colour map with its labelled colour scale to the right of the axis rect. Both sit
// in one layout cell under the title, so the title spans the whole plot instead of the axis
// rect's column only; a margin group keeps the scale as tall as the map.
QCPColorMap* add_color_map(QCustomPlot* plot, const QString& scale_label) {
  auto* map = new QCPColorMap(plot->xAxis, plot->yAxis);
  map->setInterpolate(false);
  auto* scale = new QCPColorScale(plot);
  scale->setLabel(scale_label);
  scale->setBarWidth(14);
  map->setColorScale(scale);
  // After setColorScale, which gives the map the scale's gradient (navy gpCold by default).
  map->setGradient(viridis());
  auto* rect = plot->axisRect();
  auto* grid = plot->plotLayout();
  const int row = grid->rowCount() - 1;  // Under the title row.
  grid->take(rect);
  auto* cell = new QCPLayoutGrid;
  grid->addElement(row, 0, cell);
  cell->addElement(0, 0, rect);
  cell->addElement(0, 1, scale);
  auto* group = new QCPMarginGroup(plot);
  rect->setMarginGroup(QCP::msTop | QCP::msBottom, group);
  scale->setMarginGroup(QCP::msTop | QCP::msBottom, group);
  return map;
}

// Whole-number ticks (experts), thinned to multiples when there are many.
void integer_ticks(QCPAxis* axis) {
  auto ticker = QSharedPointer<QCPAxisTickerFixed>::create();
  ticker->setTickStep(1.0);
  ticker->setScaleStrategy(QCPAxisTickerFixed::ssMultiples);
  axis->setTicker(ticker);
}

int nearest_cell(double coordinate, int64_t count) {
  const int i = int(std::lround(coordinate));
  return i >= 0 && i < count ? i : -1;
}

}  // namespace

QStringList class_labels(const QString& dataset, int64_t classes) {
  static const QStringList kFashion = {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                       "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};
  if (dataset == "fashion-mnist" && classes == kFashion.size()) return kFashion;
  QStringList names;
  for (int64_t c = 0; c < classes; ++c) names << QString::number(c);
  return names;
}

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
  style_plot(bars_, tr("Load share per expert, latest window (dashed: even share)"));
  style_plot(heatmap_, tr("Load share over training"));
  style_plot(routing_, tr("Where each class goes (first choice, latest evaluation)"));
  health_->setTitle(tr("Router health"));
  bars_->xAxis->setLabel(tr("expert"));
  bars_->yAxis->setLabel(tr("share of assignments (%)"));
  heatmap_->xAxis->setLabel(tr("step"));
  heatmap_->yAxis->setLabel(tr("expert"));
  routing_->xAxis->setLabel(tr("expert"));
  routing_->yAxis->setLabel(tr("class"));
  add_color_map(heatmap_, tr("share of assignments (%)"));
  add_color_map(routing_, tr("share of the class (%)"));
  for (auto* axis : {heatmap_->yAxis, routing_->xAxis, bars_->xAxis}) integer_ticks(axis);
  routing_->yAxis->setTicker(QSharedPointer<QCPAxisTickerText>::create());
  routing_->yAxis->setRangeReversed(true);  // Class 0 on top, as in a table.
  auto* live = new QCPBars(bars_->xAxis, bars_->yAxis);
  auto* dead = new QCPBars(bars_->xAxis, bars_->yAxis);
  live->setName(tr("share"));
  dead->setName(tr("dead: no tokens (drawn at 1%)"));
  live->removeFromLegend();
  put_legend_below(bars_);
  install_hover(heatmap_, [this](double x, double y) { return loadTip(x, y); });
  install_hover(routing_, [this](double x, double y) { return routingTip(x, y); });
  connect(routing_, &QCustomPlot::beforeReplot, this, [this] { showCellValues(); });
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
  QVector<double> keys, values, dead_keys, dead_values;
  bars_->clearItems();
  if (!rows.empty()) {
    const auto& load = rows.back()->load;
    for (size_t e = 0; e < load.size(); ++e) {
      bool is_dead = load[e] <= 0.0f;
      (is_dead ? dead_keys : keys).push_back(double(e));
      (is_dead ? dead_values : values).push_back(is_dead ? 1.0 : 100.0 * load[e]);
    }
    auto* uniform = new QCPItemStraightLine(bars_);
    uniform->point1->setCoords(0, 100.0 / double(load.size()));
    uniform->point2->setCoords(1, 100.0 / double(load.size()));
    uniform->setPen(QPen(Qt::gray, 1, Qt::DashLine));
    bars_->xAxis->setRange(-0.6, double(load.size()) - 0.4);
  }
  live->setData(keys, values);
  dead->setData(dead_keys, dead_values);
  bars_->legend->setVisible(!dead_keys.isEmpty());  // The red bars' key, when there are some.
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
  drawRouting(layer);

  const std::string prefix = "moe/" + std::to_string(layer) + "/";
  health_->setStyles(
      {{prefix + "load_cv", tr("load CV"), QColor(0, 114, 178)},
       {prefix + "dropped_share", tr("dropped"), QColor(213, 94, 0), Qt::SolidLine, true, 100.0}});
  health_->showRun(run_);
}

void ExpertView::drawRouting(int64_t layer) {
  // The newest evaluation of this layer, each class row as shares of the class.
  auto* matrix = qobject_cast<QCPColorMap*>(routing_->plottable(0));
  const RoutingMatrixRow* newest = nullptr;
  for (const auto& r : run_.routing) {
    if (r.layer == layer && (newest == nullptr || r.step >= newest->step)) newest = &r;
  }
  routing_->clearItems();
  if (newest == nullptr || newest->classes <= 0 || newest->experts <= 0) {
    routing_shown_ = RoutingMatrixRow{};
    request_replot(routing_);
    return;
  }
  routing_shown_ = *newest;
  classes_ = class_labels(run_.traits.dataset, newest->classes);
  matrix->data()->setSize(int(newest->experts), int(newest->classes));
  matrix->data()->setRange(QCPRange(0, double(newest->experts - 1)),
                           QCPRange(0, double(newest->classes - 1)));
  auto names = QSharedPointer<QCPAxisTickerText>::create();
  const bool cells_fit = newest->classes * newest->experts <= 400;  // Else too small for text.
  for (int64_t c = 0; c < newest->classes; ++c) {
    names->addTick(double(c), classes_[int(c)]);
    double total = 0;
    for (int64_t e = 0; e < newest->experts; ++e) {
      total += double(newest->counts[size_t(c * newest->experts + e)]);
    }
    for (int64_t e = 0; e < newest->experts; ++e) {
      double n = double(newest->counts[size_t(c * newest->experts + e)]);
      const double share = total > 0 ? 100.0 * n / total : 0.0;
      matrix->data()->setCell(int(e), int(c), share);
      if (!cells_fit) continue;
      auto* text = new QCPItemText(routing_);
      text->position->setCoords(double(e), double(c));
      text->setText(QString::number(share, 'f', 0));
      // Viridis is dark below the middle and light above it.
      text->setColor(share < 55.0 ? Qt::white : Qt::black);
      text->setClipToAxisRect(true);
    }
  }
  routing_->yAxis->setTicker(names);
  matrix->setDataRange(QCPRange(0, 100));
  routing_->xAxis->setRange(-0.5, double(newest->experts) - 0.5);
  routing_->yAxis->setRange(-0.5, double(newest->classes) - 0.5);
  request_replot(routing_);
}

void ExpertView::showCellValues() {
  // Numbers only where a cell is large enough for "100" at the tick size.
  if (routing_shown_.experts <= 0 || routing_->itemCount() == 0) return;
  QFont font(routing_->font().family());
  font.setPointSizeF(std::max(8.0, plot_fonts(routing_->size()).tick - 1.0));
  const QFontMetricsF metrics(font);
  const QRect rect = routing_->axisRect()->rect();
  const bool fits =
      rect.width() / double(routing_shown_.experts) > metrics.horizontalAdvance("100") + 4 &&
      rect.height() / double(routing_shown_.classes) > metrics.height();
  for (int i = 0; i < routing_->itemCount(); ++i) {
    auto* text = qobject_cast<QCPItemText*>(routing_->item(i));
    if (text == nullptr) continue;
    text->setFont(font);
    text->setVisible(fits);
  }
}

QString ExpertView::loadTip(double step, double expert) const {
  auto* heat = qobject_cast<QCPColorMap*>(heatmap_->plottable(0));
  auto* data = heat->data();  // cell() is not const in QCustomPlot 2.1.
  if (data->keySize() == 0 || data->valueSize() == 0) return {};
  int column = 0, row = 0;
  data->coordToCell(step, expert, &column, &row);
  if (column < 0 || column >= data->keySize() || row < 0 || row >= data->valueSize()) return {};
  double cell_step = 0, cell_expert = 0;
  data->cellToCoord(column, row, &cell_step, &cell_expert);
  return tr("step %1, expert %2: %3% of assignments")
      .arg(qint64(std::lround(cell_step)))
      .arg(row)
      .arg(data->cell(column, row), 0, 'f', 1);
}

QString ExpertView::routingTip(double expert, double cls) const {
  const auto& r = routing_shown_;
  const int e = nearest_cell(expert, r.experts);
  const int c = nearest_cell(cls, r.classes);
  if (e < 0 || c < 0 || c >= classes_.size()) return {};
  int64_t total = 0;
  for (int64_t i = 0; i < r.experts; ++i) total += r.counts[size_t(c * r.experts + i)];
  const int64_t n = r.counts[size_t(c * r.experts + e)];
  return tr("%1 -> expert %2: %3% of the class (%4 of %5)")
      .arg(classes_[c])
      .arg(e)
      .arg(total > 0 ? 100.0 * double(n) / double(total) : 0.0, 0, 'f', 1)
      .arg(n)
      .arg(total);
}

}  // namespace slimlab
