#include "series_plot.h"

#include <qcustomplot.h>

#include <QToolButton>
#include <QVBoxLayout>
#include <algorithm>

#include "plot_style.h"

namespace slimlab {

SeriesPlot::SeriesPlot(const QString& leftLabel, const QString& rightLabel, QWidget* parent)
    : QWidget(parent), plot_(new QCustomPlot(this)), reset_(new QToolButton(plot_)) {
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(0, 0, 0, 0);
  layout->addWidget(plot_);
  plot_->xAxis->setLabel(tr("step"));
  plot_->yAxis->setLabel(leftLabel);
  plot_->yAxis2->setVisible(!rightLabel.isEmpty());
  plot_->yAxis2->setLabel(rightLabel);
  plot_->legend->setVisible(true);
  put_legend_below(plot_);
  plot_->setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);
  plot_->setPlottingHint(QCP::phFastPolylines, true);
  plot_->setToolTip(tr("Drag to pan, wheel to zoom, double-click to reset the zoom"));
  apply_palette(plot_);
  install_hover(plot_, [this](double x, double) { return valuesAt(x); });
  for (auto* axis : {plot_->xAxis, plot_->yAxis}) {
    connect(axis, qOverload<const QCPRange&>(&QCPAxis::rangeChanged), this, [this] {
      if (rescaling_ || user_zoomed_) return;
      user_zoomed_ = true;
      reset_->show();
    });
  }
  connect(plot_, &QCustomPlot::mouseDoubleClick, this, [this] { resetZoom(); });
  reset_->setText(tr("Reset zoom"));
  reset_->setToolTip(tr("Fit every curve again (or double-click the plot)"));
  reset_->hide();
  connect(reset_, &QToolButton::clicked, this, [this] { resetZoom(); });
}

void SeriesPlot::resizeEvent(QResizeEvent* event) {
  QWidget::resizeEvent(event);
  reset_->adjustSize();
  reset_->move(plot_->width() - reset_->width() - 6, 4);
}

void SeriesPlot::resetZoom() {
  user_zoomed_ = false;
  reset_->hide();
  rescale();
}

QString SeriesPlot::valuesAt(double x) const {
  QStringList lines;
  for (int i = 0; i < plot_->graphCount() && size_t(i) < curves_.size(); ++i) {
    const auto data = plot_->graph(i)->data();
    if (data->isEmpty()) continue;
    auto it = std::lower_bound(data->constBegin(), data->constEnd(), x,
                               [](const QCPGraphData& d, double key) { return d.key < key; });
    if (it == data->constEnd() || (it != data->constBegin() && x - (it - 1)->key < it->key - x)) {
      --it;
    }
    const auto index = size_t(it - data->constBegin());
    const auto& curve = curves_[size_t(i)];
    if (index >= curve.value.size()) continue;
    const auto& style = styles_[size_t(i)];
    const QString unit = style.scale == 100.0 ? "%" : "";
    QString line = tr("%1: %2%3").arg(style.label).arg(it->value, 0, 'g', 4).arg(unit);
    if (smoothing_ > 0) line += tr(" (raw %1%2)").arg(curve.value[index], 0, 'g', 4).arg(unit);
    lines << line + tr(" at step %1").arg(qint64(curve.step[index]));
  }
  return lines.join('\n');
}

void SeriesPlot::setStyles(const std::vector<SeriesStyle>& styles) {
  plot_->clearGraphs();
  styles_ = styles;
  curves_.assign(styles.size(), Curve{});
  for (const auto& s : styles_) {
    auto* graph = plot_->addGraph(plot_->xAxis, s.right_axis ? plot_->yAxis2 : plot_->yAxis);
    graph->setName(s.label);
    graph->setPen(QPen(s.color, 1.5, s.pen));
    graph->setAdaptiveSampling(true);  // Millions of points draw as fast as thousands.
  }
}

double SeriesPlot::x(double step, double wall) const {
  switch (mode_) {
    case XAxisMode::Epoch:
      return steps_per_epoch_ > 0 ? step / double(steps_per_epoch_) : step;
    case XAxisMode::WallSeconds:
      return wall - wall_origin_;
    default:
      return step;
  }
}

void SeriesPlot::addPoints(size_t index, const std::vector<MetricRow>& rows, size_t from) {
  auto& c = curves_[index];
  auto* graph = plot_->graph(int(index));
  const double scale = styles_[index].scale;
  QVector<double> xs, ys;
  xs.reserve(int(rows.size() - from));
  ys.reserve(int(rows.size() - from));
  for (size_t i = from; i < rows.size(); ++i) {
    double wall = double(rows[i].wall_ms) / 1000.0;
    if (wall_origin_ < 0) wall_origin_ = wall;
    double v = rows[i].value * scale;
    c.ema = c.value.empty() ? v : smoothing_ * c.ema + (1 - smoothing_) * v;
    c.step.push_back(double(rows[i].step));
    c.wall.push_back(wall);
    c.value.push_back(v);
    xs.push_back(x(double(rows[i].step), wall));
    ys.push_back(c.ema);
  }
  graph->addData(xs, ys, /*alreadySorted=*/true);
}

void SeriesPlot::redraw(size_t index) {
  auto& c = curves_[index];
  QVector<double> xs(int(c.step.size())), ys(int(c.step.size()));
  double ema = 0;
  for (size_t i = 0; i < c.step.size(); ++i) {
    ema = i == 0 ? c.value[i] : smoothing_ * ema + (1 - smoothing_) * c.value[i];
    xs[int(i)] = x(c.step[i], c.wall[i]);
    ys[int(i)] = ema;
  }
  c.ema = ema;
  plot_->graph(int(index))->setData(xs, ys, /*alreadySorted=*/true);
}

void SeriesPlot::showRun(const RunData& run) {
  if (run.id == 0 || run.id != run_id_) {  // Another run: its own ranges.
    user_zoomed_ = false;
    reset_->hide();
  }
  run_id_ = run.id;
  steps_per_epoch_ = run.steps_per_epoch;
  wall_origin_ = -1;
  for (size_t i = 0; i < styles_.size(); ++i) {
    curves_[i] = Curve{};
    plot_->graph(int(i))->data()->clear();
    addPoints(i, run.series(styles_[i].key), 0);
  }
  rescale();
}

void SeriesPlot::append(const RunData& delta) {
  if (delta.steps_per_epoch > 0) steps_per_epoch_ = delta.steps_per_epoch;
  for (size_t i = 0; i < styles_.size(); ++i) addPoints(i, delta.series(styles_[i].key), 0);
  rescale();
}

void SeriesPlot::setSeries(const std::string& key, const std::vector<MetricRow>& rows) {
  for (size_t i = 0; i < styles_.size(); ++i) {
    if (styles_[i].key != key) continue;
    curves_[i] = Curve{};
    plot_->graph(int(i))->data()->clear();
    addPoints(i, rows, 0);
  }
  rescale();
}

void SeriesPlot::clear() {
  RunData none;
  showRun(none);
  setMarkers({});
}

void SeriesPlot::setSmoothing(double weight) {
  smoothing_ = std::clamp(weight, 0.0, 0.999);
  for (size_t i = 0; i < curves_.size(); ++i) redraw(i);
  rescale();
}

void SeriesPlot::setXAxisMode(XAxisMode mode) {
  mode_ = mode;
  plot_->xAxis->setLabel(mode == XAxisMode::Epoch         ? tr("epoch")
                         : mode == XAxisMode::WallSeconds ? tr("wall time (s)")
                                                          : tr("step"));
  for (size_t i = 0; i < curves_.size(); ++i) redraw(i);
  setMarkers(markers_);
  user_zoomed_ = false;  // The old ranges were in the other unit.
  reset_->hide();
  rescale();
}

void SeriesPlot::setLogScale(bool on) {
  log_ = on;
  rescaling_ = true;  // The axis may clip its range to positive values: not the user's zoom.
  plot_->yAxis->setScaleType(on ? QCPAxis::stLogarithmic : QCPAxis::stLinear);
  rescaling_ = false;
  user_zoomed_ = false;  // A zoom on the other scale means other values.
  reset_->hide();
  if (on) {
    plot_->yAxis->setTicker(QSharedPointer<QCPAxisTickerLog>(new QCPAxisTickerLog));
  } else {
    plot_->yAxis->setTicker(QSharedPointer<QCPAxisTicker>(new QCPAxisTicker));
  }
  rescale();
}

void SeriesPlot::setMarkers(const std::vector<double>& steps) {
  markers_ = steps;
  plot_->clearItems();
  for (size_t i = 0; i < steps.size() && i < 64; ++i) {
    auto* line = new QCPItemStraightLine(plot_);
    double at = mode_ == XAxisMode::Epoch && steps_per_epoch_ > 0
                    ? steps[i] / double(steps_per_epoch_)
                    : steps[i];
    line->point1->setCoords(at, 0);
    line->point2->setCoords(at, 1);
    line->setPen(QPen(QColor(120, 120, 120, 140), 1, Qt::DotLine));
  }
  request_replot(plot_);
}

void SeriesPlot::setTitle(const QString& title) {
  set_plot_title(plot_, title);
  request_replot(plot_);
}

void SeriesPlot::rescale() {
  // The legend and the antialiasing follow the data even while the user's zoom is kept.
  updateLegendAndHints();
  if (user_zoomed_) {
    request_replot(plot_);
    return;
  }
  rescaling_ = true;
  plot_->xAxis->rescale();
  bool anyLeft = false, anyRight = false;
  QCPRange left(0, 1), right(0, 1);
  for (int i = 0; i < plot_->graphCount(); ++i) {
    bool ok = false;
    auto range = plot_->graph(i)->getValueRange(
        ok, log_ && !styles_[size_t(i)].right_axis ? QCP::sdPositive : QCP::sdBoth);
    if (!ok) continue;
    auto& target = styles_[size_t(i)].right_axis ? right : left;
    bool& any = styles_[size_t(i)].right_axis ? anyRight : anyLeft;
    if (any) {
      target.expand(range);
    } else {
      target = range;
      any = true;
    }
  }
  if (log_) {
    plot_->yAxis->setRange(anyLeft ? left.lower * 0.8 : 0.01, anyLeft ? left.upper * 1.25 : 10);
  } else if (zero_based_) {
    plot_->yAxis->setRange(std::min(0.0, left.lower), anyLeft ? left.upper * 1.05 : 1.0);
  } else {
    double pad = 0.08 * std::max(left.size(), 1e-3);
    plot_->yAxis->setRange(left.lower - pad, left.upper + pad);
  }
  if (plot_->yAxis2->visible()) {
    // Shares shown in % keep the full 0..100 scale; others fit their data.
    bool percent = false;
    for (const auto& s : styles_) percent = percent || (s.right_axis && s.scale == 100.0);
    plot_->yAxis2->setRange(percent ? QCPRange(0, 100)
                                    : QCPRange(std::min(0.0, right.lower), right.upper * 1.05));
  }
  rescaling_ = false;
  request_replot(plot_);
}

void SeriesPlot::updateLegendAndHints() {
  // Smooth curves while they are short; past 20,000 points antialiasing costs 15x the redraw
  // time (1,000,000 points: 62 ms against 3.8 ms) and the eye cannot tell.
  int points = 0;
  for (int i = 0; i < plot_->graphCount(); ++i) points += plot_->graph(i)->dataCount();
  plot_->setNotAntialiasedElements(points > 20000 ? QCP::aePlottables : QCP::aeNone);
  // Curves without data (e.g. hints in a run without them) leave the legend. Sparse curves
  // (a validation point per epoch) get a dot per point: a single point draws no line.
  for (int i = 0; i < plot_->graphCount(); ++i) {
    const bool sparse = plot_->graph(i)->dataCount() <= 40;
    plot_->graph(i)->setScatterStyle(sparse ? QCPScatterStyle(QCPScatterStyle::ssDisc, 4)
                                            : QCPScatterStyle(QCPScatterStyle::ssNone));
    if (plot_->graph(i)->dataCount() > 0) {
      plot_->graph(i)->addToLegend();
    } else {
      plot_->graph(i)->removeFromLegend();
    }
  }
}

}  // namespace slimlab
