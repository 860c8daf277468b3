#include "sparsity_view.h"

#include <qcustomplot.h>

#include <QFontDatabase>
#include <QGridLayout>
#include <QPlainTextEdit>
#include <cmath>
#include <nlohmann/json.hpp>

#include "series_plot.h"

#include "plot_style.h"

namespace slimlab {
namespace {

// The prune report event as readable lines (the same figures as `slimlab-cli show --layers`).
QString report_text(const RunData& run) {
  for (auto it = run.events.rbegin(); it != run.events.rend(); ++it) {
    if (it->kind != "prune_report") continue;
    auto r = nlohmann::json::parse(it->payload_json, nullptr, false);
    if (!r.is_object()) break;
    QString text = QObject::tr("%1 %2 %3 %4 %5\n")
                       .arg(QObject::tr("layer"), -18)
                       .arg(QObject::tr("params"), 10)
                       .arg(QObject::tr("non-zeros"), 10)
                       .arg(QObject::tr("sparsity"), 9)
                       .arg(QObject::tr("weight sp."), 10);
    auto add_row = [&text](const nlohmann::json& row, const QString& name) {
      QString weight = row.contains("weight_sparsity")
                           ? QString("%1%").arg(100 * row.value("weight_sparsity", 0.0), 0, 'f', 2)
                           : QString("-");
      text += QString("%1 %2 %3 %4% %5\n")
                  .arg(name, -18)
                  .arg(row.value("params", 0LL), 10)
                  .arg(row.value("nonzeros", 0LL), 10)
                  .arg(100 * row.value("sparsity", 0.0), 8, 'f', 2)
                  .arg(weight, 10);
    };
    for (const auto& row : r["table"]["layers"]) {
      add_row(row, QString::fromStdString(row.value("name", "?")));
    }
    add_row(r["table"]["totals"], QObject::tr("total"));
    text += QObject::tr(
        "params and non-zeros count weights and biases; sparsity = 1 - non-zeros / params;\n"
        "weight sp. = zeros of the weight tensor alone, what masks act on; total = the rows' "
        "sums\n");
    const auto& l = r["latency"];
    text += QObject::tr(
                "\nmask sparsity %1%: masked-out entries of the %2 weights of the pruned "
                "layers' weight tensors (no biases)\n")
                .arg(100 * r.value("mask_sparsity", 0.0), 0, 'f', 2)
                .arg(r.value("mask_weights", 0LL));
    for (const auto& f : r.value("floored_layers", nlohmann::json::array())) {
      text += QObject::tr("floor: %1 kept %2 of %3 %4 (step %5 asked to prune %6)\n")
                  .arg(QString::fromStdString(f.value("name", "?")))
                  .arg(f.value("kept", 0LL))
                  .arg(f.value("size", 0LL))
                  .arg(QString::fromStdString(f.value("unit", "weights")))
                  .arg(f.value("step", 0LL))
                  .arg(f.value("asked", 0LL));
    }
    for (const auto& s : r.value("skipped_layers", nlohmann::json::array())) {
      text += QObject::tr("n:m skipped %1: %2 inputs, not a multiple of M = %3\n")
                  .arg(QString::fromStdString(s.value("name", "?")))
                  .arg(s.value("inputs", 0LL))
                  .arg(s.value("m", 0LL));
    }
    for (const char* network : {"before", "masked", "shrunk"}) {
      if (!r.contains(network)) continue;
      const char* timing = std::string(network) == "before" ? "dense" : network;
      text += QObject::tr("%1: %2 params, %3 MACs, %4 ms at batch %5\n")
                  .arg(network)
                  .arg(r[network].value("params", 0LL))
                  .arg(r[network].value("macs", 0LL))
                  .arg(l.contains(timing) ? l[timing].value("median_ms", 0.0) : 0.0, 0, 'f', 3)
                  .arg(l.value("batch", 0LL));
    }
    text += QObject::tr("speed-up %1x").arg(r.value("speedup", 0.0), 0, 'f', 2);
    return text;
  }
  return QObject::tr("The per-layer table and the reality summary appear when the run finishes.");
}

}  // namespace

SparsityView::SparsityView(QWidget* parent)
    : QWidget(parent),
      layers_(new QCustomPlot(this)),
      global_(new SeriesPlot(tr("sparsity (%)"), QString(), this)),
      histogram_(new QCustomPlot(this)),
      report_(new QPlainTextEdit(this)) {
  auto* grid = new QGridLayout(this);
  grid->addWidget(layers_, 0, 0);
  grid->addWidget(global_, 0, 1);
  grid->addWidget(histogram_, 1, 0);
  grid->addWidget(report_, 1, 1);
  for (int i = 0; i < 2; ++i) {
    grid->setRowStretch(i, 1);
    grid->setColumnStretch(i, 1);
  }
  style_plot(layers_, tr("Sparsity per layer (dashed: target)"));
  style_plot(histogram_, tr("Surviving weights |w| (log10), dashed: threshold"));
  global_->setTitle(tr("Global sparsity against the schedule"));
  global_->setStyles(
      {{"sparsity/global", tr("global"), QColor(0, 114, 178), Qt::SolidLine, false, 100.0},
       {"sparsity/target", tr("target"), QColor(213, 94, 0), Qt::DashLine, false, 100.0}});
  layers_->yAxis->setLabel(tr("sparsity (%)"));
  layers_->yAxis->setRange(0, 100);
  histogram_->xAxis->setLabel(tr("log10 |w|"));
  histogram_->yAxis->setLabel(tr("weights"));
  new QCPBars(layers_->xAxis, layers_->yAxis);
  new QCPBars(histogram_->xAxis, histogram_->yAxis);
  report_->setReadOnly(true);
  report_->setLineWrapMode(QPlainTextEdit::NoWrap);  // A table: scroll rather than break rows.
  report_->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
}

void SparsityView::showRun(const RunData& run) {
  auto* bars = qobject_cast<QCPBars*>(layers_->plottable(0));
  bars->setBrush(QColor(0, 114, 178));
  auto ticker = QSharedPointer<QCPAxisTickerText>::create();
  QVector<double> keys, values;
  for (const auto& key : run.keys_with_prefix("sparsity/")) {
    if (key == "sparsity/global" || key == "sparsity/target") continue;
    ticker->addTick(double(keys.size()), QString::fromStdString(key.substr(9)));
    values.push_back(100.0 * run.last(key));
    keys.push_back(double(keys.size()));
  }
  bars->setData(keys, values);
  layers_->xAxis->setTicker(ticker);
  layers_->xAxis->setTickLabelRotation(keys.size() > 4 ? 30 : 0);
  layers_->xAxis->setRange(-0.6, std::max(1.0, double(keys.size())) - 0.4);
  layers_->clearItems();
  if (!run.series("sparsity/target").empty()) {
    auto* target = new QCPItemStraightLine(layers_);
    double t = 100.0 * run.last("sparsity/target");
    target->point1->setCoords(0, t);
    target->point2->setCoords(1, t);
    target->setPen(QPen(QColor(213, 94, 0), 1.5, Qt::DashLine));
  }
  request_replot(layers_);
  global_->showRun(run);
  std::vector<double> prune_steps;
  for (const auto& e : run.events) {
    if (e.kind == "prune") prune_steps.push_back(double(e.step));
  }
  global_->setMarkers(prune_steps);
  report_->setPlainText(report_text(run));
}

void SparsityView::setWeightHistogram(const std::vector<double>& edges,
                                      const std::vector<double>& counts, double threshold) {
  auto* bars = qobject_cast<QCPBars*>(histogram_->plottable(0));
  bars->setBrush(QColor(0, 158, 115));
  QVector<double> keys, values;
  for (size_t i = 0; i + 1 < edges.size() && i < counts.size(); ++i) {
    keys.push_back((edges[i] + edges[i + 1]) / 2);
    values.push_back(counts[i]);
  }
  if (edges.size() > 1) bars->setWidth(edges[1] - edges[0]);
  bars->setData(keys, values);
  histogram_->clearItems();
  if (threshold > 0) {
    auto* line = new QCPItemStraightLine(histogram_);
    line->point1->setCoords(std::log10(threshold), 0);
    line->point2->setCoords(std::log10(threshold), 1);
    line->setPen(QPen(QColor(213, 94, 0), 1.5, Qt::DashLine));
  }
  histogram_->rescaleAxes();
  if (keys.isEmpty()) {
    // No weights yet (a run that trains, or loads): say so over a quiet frame, not axes from
    // QCustomPlot's default range.
    auto* note = new QCPItemText(histogram_);
    note->position->setType(QCPItemPosition::ptAxisRectRatio);
    note->position->setCoords(0.5, 0.5);
    note->setText(tr("The surviving weights appear\nwhen the run has finished"));
    note->setColor(palette().color(QPalette::PlaceholderText));
    histogram_->xAxis->setRange(-4, 0);
    histogram_->yAxis->setRange(0, 1);
  }
  if (threshold > 0 && !edges.empty()) {
    // Keep the threshold line inside the frame, a little left of the smallest survivor.
    double lo = std::min(edges.front(), std::log10(threshold));
    histogram_->xAxis->setRange(lo - 0.1 * (edges.back() - lo), edges.back());
  }
  request_replot(histogram_);
}

}  // namespace slimlab
