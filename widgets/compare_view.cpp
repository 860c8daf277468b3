#include "compare_view.h"

#include <qcustomplot.h>

#include <QComboBox>
#include <QGridLayout>
#include <QHeaderView>
#include <QLabel>
#include <QTableWidget>
#include <set>

#include "plot_style.h"

namespace slimlab {
namespace {

// Okabe-Ito, then greys: distinguishable for colour-blind readers.
const QColor kColors[] = {{0, 114, 178},   {213, 94, 0},  {0, 158, 115},
                          {204, 121, 167}, {230, 159, 0}, {86, 180, 233},
                          {240, 228, 66},  {0, 0, 0},     {120, 120, 120}};

void flatten(const nlohmann::json& j, const std::string& path,
             std::map<std::string, std::string>& out) {
  if (j.is_object()) {
    for (const auto& item : j.items()) {
      flatten(item.value(), path.empty() ? item.key() : path + "." + item.key(), out);
    }
  } else {
    out[path] = j.dump();
  }
}

}  // namespace

std::map<std::string, std::string> flatten_json(const nlohmann::json& j) {
  std::map<std::string, std::string> out;
  flatten(j, "", out);
  return out;
}

CompareView::CompareView(QWidget* parent)
    : QWidget(parent),
      metric_(new QComboBox(this)),
      paretoAxis_(new QComboBox(this)),
      overlay_(new QCustomPlot(this)),
      diff_(new QTableWidget(this)),
      pareto_(new QCustomPlot(this)) {
  auto* grid = new QGridLayout(this);
  auto* top = new QHBoxLayout;
  top->addWidget(new QLabel(tr("Metric:"), this));
  top->addWidget(metric_, 1);
  top->addWidget(new QLabel(tr("Pareto against:"), this));
  paretoAxis_->addItems({tr("parameters"), tr("MACs per sample"), tr("latency (ms)")});
  top->addWidget(paretoAxis_);
  grid->addLayout(top, 0, 0, 1, 2);
  grid->addWidget(overlay_, 1, 0);
  grid->addWidget(pareto_, 1, 1);
  grid->addWidget(diff_, 2, 0, 1, 2);
  grid->setRowStretch(1, 3);
  grid->setRowStretch(2, 2);
  style_plot(overlay_, tr("Selected runs"));
  style_plot(pareto_, tr("Accuracy against cost (every run; click a point to open it)"));
  overlay_->legend->setVisible(true);
  overlay_->legend->setFont(QFont(font().family(), 8));
  overlay_->axisRect()->insetLayout()->setInsetAlignment(0, Qt::AlignRight | Qt::AlignBottom);
  overlay_->xAxis->setLabel(tr("step"));
  pareto_->yAxis->setLabel(tr("test accuracy (%)"));
  diff_->setEditTriggers(QAbstractItemView::NoEditTriggers);
  diff_->horizontalHeader()->setStretchLastSection(true);
  overlay_->setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);
  pareto_->setInteractions(QCP::iSelectPlottables);
  connect(metric_, &QComboBox::currentIndexChanged, this, [this] { drawOverlay(); });
  connect(paretoAxis_, &QComboBox::currentIndexChanged, this, [this] { drawPareto(); });
  connect(pareto_, &QCustomPlot::plottableClick, this,
          [this](QCPAbstractPlottable*, int index, QMouseEvent*) {
            if (index >= 0 && index < int(paretoIds_.size())) {
              Q_EMIT runActivated(paretoIds_[size_t(index)]);
            }
          });
}

void CompareView::setRuns(const std::vector<RunData>& runs,
                          const std::vector<nlohmann::json>& specs,
                          const std::vector<RunSummary>& all) {
  runs_ = runs;
  all_ = all;
  std::set<std::string> keys;
  for (const auto& r : runs) {
    for (const auto& [key, rows] : r.metrics) keys.insert(key);
  }
  QString current =
      metric_->currentText().isEmpty() ? "validation/accuracy" : metric_->currentText();
  {
    QSignalBlocker block(metric_);
    metric_->clear();
    for (const auto& k : keys) metric_->addItem(QString::fromStdString(k));
    metric_->setCurrentText(current);
  }
  drawOverlay();

  // The spec fields whose values are not the same in every selected run.
  std::vector<std::map<std::string, std::string>> flat;
  std::set<std::string> paths;
  for (const auto& spec : specs) {
    flat.push_back(flatten_json(spec));
    for (const auto& [path, value] : flat.back()) paths.insert(path);
  }
  std::vector<std::string> differing;
  for (const auto& path : paths) {
    std::set<std::string> values;
    for (const auto& f : flat) values.insert(f.count(path) ? f.at(path) : "(none)");
    if (values.size() > 1) differing.push_back(path);
  }
  diff_->clear();
  diff_->setColumnCount(int(runs.size()) + 1);
  diff_->setRowCount(int(differing.size()));
  QStringList headers{tr("spec field")};
  for (const auto& r : runs) headers << QString("#%1 %2").arg(r.id).arg(r.name);
  diff_->setHorizontalHeaderLabels(headers);
  for (int row = 0; row < int(differing.size()); ++row) {
    diff_->setItem(row, 0, new QTableWidgetItem(QString::fromStdString(differing[size_t(row)])));
    for (size_t c = 0; c < flat.size(); ++c) {
      auto it = flat[c].find(differing[size_t(row)]);
      diff_->setItem(row, int(c) + 1,
                     new QTableWidgetItem(QString::fromStdString(
                         it == flat[c].end() ? std::string("(none)") : it->second)));
    }
  }
  diff_->resizeColumnsToContents();
  drawPareto();
}

void CompareView::drawOverlay() {
  overlay_->clearGraphs();
  const std::string key = metric_->currentText().toStdString();
  for (size_t i = 0; i < runs_.size(); ++i) {
    auto* graph = overlay_->addGraph();
    graph->setName(QString("#%1 %2").arg(runs_[i].id).arg(runs_[i].name));
    graph->setPen(QPen(kColors[i % std::size(kColors)], 1.5));
    QVector<double> xs, ys;
    for (const auto& row : runs_[i].series(key)) {
      xs.push_back(double(row.step));
      ys.push_back(row.value);
    }
    graph->setData(xs, ys, true);
  }
  overlay_->yAxis->setLabel(metric_->currentText());
  overlay_->rescaleAxes();
  request_replot(overlay_);
}

void CompareView::drawPareto() {
  pareto_->clearPlottables();
  pareto_->clearItems();
  paretoIds_.clear();
  const int axis = paretoAxis_->currentIndex();
  pareto_->xAxis->setLabel(paretoAxis_->currentText());
  auto* points = new QCPCurve(pareto_->xAxis, pareto_->yAxis);  // Keeps insertion order.
  points->setLineStyle(QCPCurve::lsNone);
  points->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssDisc, QColor(0, 114, 178), 8));
  points->setSelectable(QCP::stSingleData);
  std::set<qint64> selected;
  for (const auto& r : runs_) selected.insert(r.id);
  int index = 0;
  for (const auto& r : all_) {
    double x = axis == 0 ? double(r.params) : axis == 1 ? double(r.macs) : r.latency_ms;
    if (r.test_accuracy < 0 || x <= 0) continue;
    points->addData(index++, x, 100 * r.test_accuracy);
    paretoIds_.push_back(r.id);
    auto* label = new QCPItemText(pareto_);
    label->position->setCoords(x, 100 * r.test_accuracy);
    label->setPositionAlignment(Qt::AlignLeft | Qt::AlignBottom);
    label->setText(QString(" #%1").arg(r.id));
    label->setFont(QFont(font().family(), selected.count(r.id) ? 9 : 7,
                         selected.count(r.id) ? QFont::Bold : QFont::Normal));
    label->setColor(selected.count(r.id) ? QColor(213, 94, 0) : palette().color(QPalette::Text));
  }
  pareto_->rescaleAxes();
  auto x = pareto_->xAxis->range(), y = pareto_->yAxis->range();
  pareto_->xAxis->setRange(x.lower - 0.08 * x.size() - 1e-9, x.upper + 0.15 * x.size() + 1e-9);
  pareto_->yAxis->setRange(y.lower - 0.1 * y.size() - 0.5, y.upper + 0.1 * y.size() + 0.5);
  request_replot(pareto_);
}

}  // namespace slimlab
