// The Compare tab's Pareto plot: test accuracy against each run's real cost.
#include <qcustomplot.h>

#include <QComboBox>
#include <QFontMetrics>
#include <algorithm>
#include <cmath>
#include <set>

#include "compare_view.h"
#include "plot_style.h"

namespace slimlab {
namespace {

const QColor kPoint(0, 114, 178);  // Okabe-Ito blue, as the overlay's first run.
const QColor kChosen(213, 94, 0);  // Okabe-Ito vermillion: the selected runs.
constexpr double kHitPixels = 8;   // How near a point the mouse must be to name or open it.
constexpr double kLogSpan = 10;    // Costs spanning more than this factor get a log axis.

enum ParetoAxis { kParams, kMacs, kBytes, kLatency };  // The "Pareto against" chooser's order.

double cost(const RunSummary& r, int axis) {
  switch (axis) {
    case kParams:
      return double(r.params);
    case kMacs:
      return double(r.macs);
    case kBytes:
      return double(r.bytes);
    default:
      return r.latency_ms;
  }
}

// "non-zero parameters" when every plotted run is counted one way; otherwise each way with the
// runs it applies to, one a line (one line would not fit a half-window plot):
// "parameters (dense runs)\nnon-zero parameters (pruned runs)".
QString axisLabel(int axis, const std::set<CostBasis>& bases) {
  if (axis == kLatency) {
    return QObject::tr("inference latency per batch (ms), measured after pruning");
  }
  auto definition = axis == kParams ? paramsDefinition
                    : axis == kMacs ? macsDefinition
                                    : bytesDefinition;
  if (bases.size() <= 1) return definition(bases.empty() ? CostBasis::Dense : *bases.begin());
  QStringList lines;
  for (auto basis : bases) {
    // "active ... (k of E experts)" already says which runs; the others name them.
    lines << (basis == CostBasis::Active
                  ? definition(basis)
                  : QString("%1 (%2)").arg(definition(basis), costBasisRuns(basis)));
  }
  return lines.join("\n");
}

// What hovering a point says: the run, its accuracy and every cost figure with its definition.
QString pointTip(const RunSummary& r) {
  QString tip = QString("#%1 %2 (%3, %4)\n").arg(r.id).arg(r.name, r.kind, r.status);
  tip += QObject::tr("test accuracy %1%\n").arg(100 * r.test_accuracy, 0, 'f', 2);
  tip += QString("%1 %2\n").arg(costText(r.params, r.dense_params), paramsDefinition(r.cost_basis));
  tip += QString("%1 %2\n").arg(costText(r.macs, r.dense_macs), macsDefinition(r.cost_basis));
  tip += QString("%1 %2").arg(costText(r.bytes, r.dense_bytes), bytesDefinition(r.cost_basis));
  if (r.latency_ms >= 0) tip += QObject::tr("\nlatency %1 ms").arg(r.latency_ms, 0, 'f', 3);
  return tip;
}

}  // namespace

void CompareView::drawPareto() {
  pareto_->clearPlottables();
  pareto_->clearItems();
  paretoPoints_.clear();
  const int axis = paretoAxis_->currentIndex();
  std::set<qint64> selected;
  for (const auto& r : runs_) selected.insert(r.id);
  std::set<CostBasis> bases;
  auto* points = new QCPCurve(pareto_->xAxis, pareto_->yAxis);  // Keeps insertion order.
  points->setLineStyle(QCPCurve::lsNone);
  points->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssDisc, kPoint, 8));
  points->setSelectable(QCP::stNone);
  auto* rings = new QCPCurve(pareto_->xAxis, pareto_->yAxis);
  rings->setLineStyle(QCPCurve::lsNone);
  rings->setScatterStyle(
      QCPScatterStyle(QCPScatterStyle::ssCircle, QPen(kChosen, 2), Qt::NoBrush, 15));
  rings->setSelectable(QCP::stNone);
  double lo = INFINITY, hi = 0;
  for (const auto& r : all_) {
    const double x = cost(r, axis), y = 100 * r.test_accuracy;
    if (r.test_accuracy < 0 || !(x > 0)) continue;
    const bool chosen = selected.count(r.id) > 0;
    points->addData(double(paretoPoints_.size()), x, y);
    if (chosen) rings->addData(double(paretoPoints_.size()), x, y);
    auto* label = new QCPItemText(pareto_);
    label->setSelectable(false);
    label->position->setCoords(x, y);
    label->setPositionAlignment(Qt::AlignLeft | Qt::AlignBottom);
    label->setText(QString("#%1").arg(r.id));
    label->setFont(QFont(font().family(), chosen ? 9 : 8, chosen ? QFont::Bold : QFont::Normal));
    label->setColor(chosen ? kChosen : palette().color(QPalette::Text));
    paretoPoints_.push_back({r.id, x, y, pointTip(r), label});
    bases.insert(r.cost_basis);
    lo = std::min(lo, x);
    hi = std::max(hi, x);
  }
  // Pruned runs reach 50x below their dense parent: a linear axis would crush them together.
  const bool log = !paretoPoints_.empty() && hi > kLogSpan * lo;
  pareto_->xAxis->setScaleType(log ? QCPAxis::stLogarithmic : QCPAxis::stLinear);
  if (log) {
    pareto_->xAxis->setTicker(QSharedPointer<QCPAxisTickerLog>(new QCPAxisTickerLog));
  } else {
    pareto_->xAxis->setTicker(QSharedPointer<QCPAxisTicker>(new QCPAxisTicker));
  }
  // "log scale" on a line of its own when there are several: each line fits a half-window plot.
  QString label = axisLabel(axis, bases);
  if (log) label += label.contains('\n') ? tr("\nlog scale") : tr("; log scale");
  pareto_->xAxis->setLabel(label);
  if (paretoPoints_.empty()) {
    request_replot(pareto_);
    return;
  }
  pareto_->rescaleAxes();
  auto y = pareto_->yAxis->range();
  if (log) {
    pareto_->xAxis->setRange(lo / 1.5, hi * 2.0);  // Room on the right for the last label.
  } else {
    const double span = std::max(hi - lo, 0.05 * hi);
    pareto_->xAxis->setRange(lo - 0.1 * span, hi + 0.2 * span);
  }
  pareto_->yAxis->setRange(y.lower - 0.1 * y.size() - 0.5, y.upper + 0.1 * y.size() + 0.5);
  request_replot(pareto_);
}

void CompareView::placeParetoLabels() {
  if (paretoPoints_.empty()) return;
  const QRectF inside = pareto_->axisRect()->rect();
  auto pixel = [this](const ParetoPoint& p) {
    return QPointF(pareto_->xAxis->coordToPixel(p.x), pareto_->yAxis->coordToPixel(p.y));
  };
  std::vector<QRectF> taken;  // Every marker, then each label as it is placed.
  for (const auto& p : paretoPoints_) {
    taken.emplace_back(pixel(p) - QPointF(6, 6), QSizeF(12, 12));
  }
  for (const auto& p : paretoPoints_) {
    const QPointF at = pixel(p);
    const QSizeF size =
        QFontMetrics(p.label->font()).boundingRect(p.label->text()).size() + QSizeF(4, 2);
    // Right of the point first, then left; level with it, then ever further above and below.
    const int kLevels[] = {0, -1, 1, -2, 2, -3, 3};
    QRectF best;
    for (int step = 0; step < 2 * int(std::size(kLevels)) && best.isNull(); ++step) {
      const double dy = kLevels[step / 2] * size.height();
      const bool right = step % 2 == 0;
      QPointF corner(right ? at.x() + 7 : at.x() - 7 - size.width(),
                     at.y() - size.height() / 2 + dy);
      QRectF rect(corner, size);
      bool free = inside.contains(rect);
      for (const auto& t : taken) free = free && !t.intersects(rect);
      if (free) best = rect;
    }
    if (best.isNull()) best = QRectF(at + QPointF(7, -size.height() / 2), size);
    taken.push_back(best);
    p.label->setPositionAlignment(Qt::AlignLeft | Qt::AlignTop);
    p.label->position->setPixelPosition(best.topLeft() + QPointF(2, 1));
  }
}

int CompareView::paretoPointAt(const QPointF& pixel) const {
  int nearest = -1;
  double best = kHitPixels;
  for (size_t i = 0; i < paretoPoints_.size(); ++i) {
    const auto& p = paretoPoints_[i];
    double dx = pareto_->xAxis->coordToPixel(p.x) - pixel.x();
    double dy = pareto_->yAxis->coordToPixel(p.y) - pixel.y();
    double distance = std::hypot(dx, dy);
    if (distance <= best) {
      best = distance;
      nearest = int(i);
    }
  }
  return nearest;
}

}  // namespace slimlab
