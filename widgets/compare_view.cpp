#include "compare_view.h"

#include <qcustomplot.h>

#include <QComboBox>
#include <QGridLayout>
#include <QHeaderView>
#include <QLabel>
#include <QTableWidget>
#include <QToolTip>
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
  paretoAxis_->addItems(
      {tr("parameters"), tr("MACs per sample"), tr("weight bytes"), tr("latency (ms)")});
  top->addWidget(paretoAxis_);
  grid->addLayout(top, 0, 0, 1, 2);
  grid->addWidget(overlay_, 1, 0);
  grid->addWidget(pareto_, 1, 1);
  grid->addWidget(diff_, 2, 0, 1, 2);
  grid->setRowStretch(1, 3);
  grid->setRowStretch(2, 2);
  grid->setColumnStretch(0, 1);  // The overlay and the Pareto plot get the same width.
  grid->setColumnStretch(1, 1);
  style_plot(overlay_, tr("Selected runs"));
  style_plot(pareto_, tr("Accuracy against cost (every run; click a point to open it)"));
  overlay_->legend->setVisible(true);
  put_legend_below(overlay_);  // One entry per selected run: inside the axes it covers curves.
  overlay_->xAxis->setLabel(tr("step"));
  pareto_->yAxis->setLabel(tr("test accuracy (%)"));
  diff_->setEditTriggers(QAbstractItemView::NoEditTriggers);
  diff_->horizontalHeader()->setStretchLastSection(true);
  overlay_->setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);
  connect(metric_, &QComboBox::currentIndexChanged, this, [this] { drawOverlay(); });
  connect(paretoAxis_, &QComboBox::currentIndexChanged, this, [this] { drawPareto(); });
  // Points are found by their pixel distance, not by QCustomPlot's selection: the labels
  // drawn over them would take the click, and a selection highlight opens nothing.
  connect(pareto_, &QCustomPlot::mouseRelease, this, [this](QMouseEvent* event) {
    int i = paretoPointAt(event->position());
    if (event->button() == Qt::LeftButton && i >= 0) {
      Q_EMIT runActivated(paretoPoints_[size_t(i)].id);
    }
  });
  pareto_->setMouseTracking(true);  // Hover tooltips without a button held.
  connect(pareto_, &QCustomPlot::mouseMove, this, [this](QMouseEvent* event) {
    int i = paretoPointAt(event->position());
    pareto_->setCursor(i >= 0 ? Qt::PointingHandCursor : Qt::ArrowCursor);
    if (i < 0) {
      QToolTip::hideText();
    } else {
      QToolTip::showText(event->globalPosition().toPoint(), paretoPoints_[size_t(i)].tip, pareto_);
    }
  });
  connect(pareto_, &QCustomPlot::afterLayout, this, [this] { placeParetoLabels(); });
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
    for (const auto& f : flat) values.insert(f.count(path) ? f.at(path) : "(not in spec)");
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
                         it == flat[c].end() ? std::string("(not in spec)") : it->second)));
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

// drawPareto, placeParetoLabels and paretoPointAt are in compare_pareto.cpp.

}  // namespace slimlab
