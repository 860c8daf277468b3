#include "plot_style.h"

#include <qcustomplot.h>

#include <QToolTip>
#include <algorithm>
#include <cmath>

namespace slimlab {
namespace {

constexpr const char* kFullTitle = "slimlabFullTitle";
constexpr const char* kScaled = "slimlabTextScaled";

QFont sized(const QCustomPlot* plot, double points, bool bold = false) {
  QFont font(plot->font().family());
  font.setPointSizeF(points);
  font.setBold(bold);
  return font;
}

// Ticks about as many as fit without touching: QCPAxisTicker rounds its step to 1, 2, 2.5 or 5
// times a power of ten, which can give up to 1.5x the asked count, hence the 1.5 below.
void fit_axis(QCPAxis* axis, const QFont& tick, const QFont& label, int fallback_length) {
  axis->setTickLabelFont(tick);
  const QFontMetricsF metrics(tick);
  const bool horizontal = axis->orientation() == Qt::Horizontal;
  double length = horizontal ? axis->axisRect()->width() : axis->axisRect()->height();
  if (length < 20) length = fallback_length;  // Before the first layout.
  // The labels of the last layout; before one, a guess of five digits.
  const auto labels = axis->tickVectorLabels();
  double widest = labels.isEmpty() ? metrics.horizontalAdvance("00000") : 0.0;
  for (const auto& text : labels) widest = std::max(widest, metrics.horizontalAdvance(text));
  const double per_tick =
      horizontal ? widest + 2.0 * metrics.averageCharWidth() : 2.2 * metrics.height();
  axis->ticker()->setTickCount(std::clamp(int(length / (1.5 * per_tick)), 2, 10));
  // A label longer than its axis is set at the tick size rather than clipped at both ends.
  const bool long_label = QFontMetricsF(label).horizontalAdvance(axis->label()) > length;
  axis->setLabelFont(long_label ? tick : label);
}

// The title at the title size; smaller if it does not fit; on two lines if it still does not.
void fit_title(QCPTextElement* title, const PlotFonts& fonts, double width) {
  QString full = title->property(kFullTitle).toString();
  if (full.isEmpty()) full = title->text();
  QFont font = sized(title->parentPlot(), fonts.title, true);
  QString text = full;
  if (QFontMetricsF(font).horizontalAdvance(full) > width) {
    font.setPointSizeF(fonts.label);
    if (QFontMetricsF(font).horizontalAdvance(full) > width) {
      // Break at the space nearest the middle.
      int best = -1;
      for (int i = full.indexOf(' '); i >= 0; i = full.indexOf(' ', i + 1)) {
        if (best < 0 || std::abs(i - full.size() / 2) < std::abs(best - full.size() / 2)) best = i;
      }
      if (best > 0) text = full.left(best) + "\n" + full.mid(best + 1);
    }
  }
  if (title->font() != font) title->setFont(font);
  if (title->text() != text) title->setText(text);
}

// A legend outside the axis rect gets as many columns as its widest entry allows.
void fit_legend(QCPLegend* legend, const QFont& font, double width) {
  legend->setFont(font);
  if (qobject_cast<QCPLayoutInset*>(legend->layout()) != nullptr) return;
  double widest = 1;
  int items = 0;
  for (int i = 0; i < legend->itemCount(); ++i) {
    // A wrapped legend's grid has empty cells: item() is null there.
    if (auto* item = legend->item(i)) {
      widest = std::max(widest, double(item->minimumOuterSizeHint().width()));
      ++items;
    }
  }
  const int columns =
      std::clamp(int(width / (widest + legend->columnSpacing())), 1, std::max(1, items));
  if (legend->wrap() != columns) {
    legend->setWrap(columns);
    legend->setFillOrder(QCPLayoutGrid::foColumnsFirst, /*rearrange=*/true);
  }
}

// Called before every replot, so text follows the plot's size and whatever was added since.
void fit_text(QCustomPlot* plot) {
  const PlotFonts fonts = plot_fonts(plot->size());
  const QFont tick = sized(plot, fonts.tick);
  const QFont label = sized(plot, fonts.label);
  for (auto* rect : plot->axisRects()) {
    for (auto* axis : rect->axes()) fit_axis(axis, tick, label, int(0.7 * plot->width()));
  }
  for (auto* element : plot->plotLayout()->elements(true)) {
    if (auto* scale = qobject_cast<QCPColorScale*>(element)) {
      fit_axis(scale->axis(), tick, label, int(0.6 * plot->height()));
    } else if (auto* title = qobject_cast<QCPTextElement*>(element)) {
      fit_title(title, fonts, plot->width() - 12.0);
    }
  }
  if (plot->legend != nullptr) fit_legend(plot->legend, tick, plot->width() - 16.0);
}

}  // namespace

PlotFonts plot_fonts(QSize size) {
  // sqrt(area): a plot 390x270 (a quarter of a 1024x700 window) is at the 9 pt floor; one of
  // 600x420 (a quarter of 1600x1000) gets 11-12 pt; a whole tab at 1024x700 gets the cap.
  const double base = std::sqrt(double(std::max(0, size.width())) * std::max(0, size.height()));
  PlotFonts f;
  f.label = std::clamp(base / 44.0, 9.0, 14.0);
  f.tick = std::max(9.0, f.label - 1.0);
  f.title = f.label + 1.5;
  return f;
}

void apply_palette(QCustomPlot* plot) {
  const QColor text = plot->palette().color(QPalette::WindowText);
  plot->setBackground(plot->palette().color(QPalette::Base));
  for (auto* axis : {plot->xAxis, plot->yAxis, plot->xAxis2, plot->yAxis2}) {
    axis->setBasePen(QPen(text));
    axis->setTickPen(QPen(text));
    axis->setSubTickPen(QPen(text));
    axis->setTickLabelColor(text);
    axis->setLabelColor(text);
  }
  plot->legend->setTextColor(text);
  // QCustomPlot's minimum size hint is its layout's: one line of the longest title and legend.
  // Titles and legends wrap to the width they get, so the window may shrink below that.
  plot->setMinimumSize(160, 120);
  if (!plot->property(kScaled).toBool()) {
    plot->setProperty(kScaled, true);
    QObject::connect(plot, &QCustomPlot::beforeReplot, plot, [plot] { fit_text(plot); });
  }
}

void style_plot(QCustomPlot* plot, const QString& title) {
  apply_palette(plot);
  set_plot_title(plot, title);
}

void set_plot_title(QCustomPlot* plot, const QString& title) {
  auto* grid = plot->plotLayout();
  QCPTextElement* element = nullptr;
  if (grid->rowCount() > 0 && grid->columnCount() > 0) {
    element = qobject_cast<QCPTextElement*>(grid->element(0, 0));
  }
  if (element == nullptr) {
    grid->insertRow(0);
    element = new QCPTextElement(plot, title, sized(plot, plot_fonts(plot->size()).title, true));
    grid->addElement(0, 0, element);
  }
  element->setTextColor(plot->palette().color(QPalette::WindowText));
  element->setProperty(kFullTitle, title);
  element->setText(title);  // fit_text breaks it at the next replot if it is too wide.
}

void put_legend_below(QCustomPlot* plot) {
  auto* legend = plot->legend;
  if (auto* inset = qobject_cast<QCPLayoutInset*>(legend->layout())) inset->take(legend);
  auto* grid = plot->plotLayout();
  const int row = grid->rowCount();
  grid->addElement(row, 0, legend);
  grid->setRowStretchFactor(row, 0.001);  // Only the height its entries need.
  legend->setFillOrder(QCPLayoutGrid::foColumnsFirst);
  legend->setBorderPen(Qt::NoPen);
  legend->setBrush(Qt::NoBrush);
  legend->setMargins(QMargins(6, 0, 6, 4));
}

void install_hover(QCustomPlot* plot, std::function<QString(double, double)> text) {
  plot->setMouseTracking(true);
  QObject::connect(plot, &QCustomPlot::mouseMove, plot, [plot, text](QMouseEvent* event) {
    const QPointF at = event->position();
    auto* rect = plot->axisRect();
    const QString tip =
        rect != nullptr && rect->rect().contains(at.toPoint())
            ? text(plot->xAxis->pixelToCoord(at.x()), plot->yAxis->pixelToCoord(at.y()))
            : QString();
    if (tip.isEmpty()) {
      QToolTip::hideText();
    } else {
      QToolTip::showText(event->globalPosition().toPoint(), tip, plot);
    }
  });
}

QCPColorGradient viridis() {
  // matplotlib's viridis at 0, 1/8, ..., 1, joined by straight lines in RGB.
  static const char* kStops[] = {"#440154", "#472c7a", "#3b528b", "#2c728e", "#21918c",
                                 "#28ae80", "#5ec962", "#addc30", "#fde725"};
  QCPColorGradient g;
  g.clearColorStops();
  const int n = int(std::size(kStops));
  for (int i = 0; i < n; ++i) g.setColorStopAt(double(i) / (n - 1), QColor(kStops[i]));
  g.setColorInterpolation(QCPColorGradient::ciRGB);
  g.setLevelCount(256);
  return g;
}

namespace {

constexpr const char* kStale = "slimlabStale";

// Replots, when it is shown, a plot that was given new data while hidden (a tab in the back, a
// page showing a message): until then its picture is of the old data.
class ReplotWhenShown : public QObject {
 public:
  using QObject::QObject;
  bool eventFilter(QObject* watched, QEvent* event) override {
    auto* plot = qobject_cast<QCustomPlot*>(watched);
    if (event->type() == QEvent::Show && plot != nullptr && plot->property(kStale).toBool()) {
      plot->setProperty(kStale, false);
      plot->replot(QCustomPlot::rpQueuedReplot);
    }
    return false;
  }
};

}  // namespace

void request_replot(QCustomPlot* plot) {
  if (plot->isVisible()) {
    plot->replot(QCustomPlot::rpQueuedReplot);
    return;
  }
  // Hidden plots cost nothing now and draw once when shown.
  if (plot->property(kStale).isNull()) plot->installEventFilter(new ReplotWhenShown(plot));
  plot->setProperty(kStale, true);
}

}  // namespace slimlab
