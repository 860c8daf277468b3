#pragma once

#include <QSize>
#include <QString>
#include <functional>

class QCPColorGradient;
class QCustomPlot;

namespace slimlab {

/// Point sizes of a plot's text for a plot of `size` pixels. They grow with the plot (a plot
/// twice as large in both directions gets text about twice as large, up to a cap), and never go
/// below 9 pt, so a quarter of a 1024x700 window (about 390x270) and a projector stay readable.
struct PlotFonts {
  double tick = 9;    ///< Tick labels and legend entries, pt.
  double label = 9;   ///< Axis labels, pt.
  double title = 10;  ///< Titles (bold), pt; a title that does not fit shrinks to `label`.
};
PlotFonts plot_fonts(QSize size);

/// The system palette's colours (light or dark) instead of QCustomPlot's fixed white, and text
/// that follows the plot's size (plot_fonts): fonts, wrapped titles, tick counts that keep tick
/// labels apart, and a legend outside the axis rect that wraps into columns. GUI thread.
void apply_palette(QCustomPlot* plot);

/// Shared look of the small plots: the system palette's colours (light or dark) and a title.
void style_plot(QCustomPlot* plot, const QString& title);

/// Sets (or adds, in a new first layout row) the plot's title. A title wider than the plot is
/// set smaller and, if it still does not fit, broken onto two lines at each replot.
void set_plot_title(QCustomPlot* plot, const QString& title);

/// Moves the plot's legend out of the axis rect into a layout row below it, where it cannot
/// cover data; entries fill columns first and wrap to the plot's width.
void put_legend_below(QCustomPlot* plot);

/// Shows `text(key, value)` as a tooltip while the mouse is over the plot's axis rect (`key`
/// and `value` in the coordinates of xAxis and yAxis); an empty text hides it. GUI thread.
void install_hover(QCustomPlot* plot, std::function<QString(double key, double value)> text);

/// Viridis (perceptually uniform, readable in grey and by colour-blind viewers), dark purple at
/// the low end to yellow at the high end; QCustomPlot 2.1 has no preset for it.
QCPColorGradient viridis();

/// Queues a replot of a visible plot. A hidden one (a tab in the back, a page showing a
/// message) is replotted once when it is next shown, so no view shows old data. GUI thread.
void request_replot(QCustomPlot* plot);

}  // namespace slimlab
