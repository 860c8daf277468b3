#pragma once

#include <QString>

class QCustomPlot;

namespace slimlab {

/// The system palette's colours (light or dark) instead of QCustomPlot's fixed white.
void apply_palette(QCustomPlot* plot);

/// Shared look of the small plots: the system palette's colours (light or dark) and a title.
void style_plot(QCustomPlot* plot, const QString& title);

/// Queues a replot of a visible plot. A hidden one (a tab not shown) has no paint buffer yet;
/// the window redraws a tab when it is chosen.
void request_replot(QCustomPlot* plot);

}  // namespace slimlab
