#pragma once

#include <QColor>
#include <QString>
#include <QWidget>

#include <string>
#include <vector>

#include "run_data.h"

class QCustomPlot;
class QToolButton;

namespace slimlab {

/// One curve of a SeriesPlot: which metric, how it is drawn, which axis it reads against.
struct SeriesStyle {
  std::string key;  ///< Metric key, e.g. "train/loss".
  QString label;    ///< Legend text.
  QColor color;
  Qt::PenStyle pen = Qt::SolidLine;
  bool right_axis = false;  ///< Against the right axis (e.g. accuracy in %).
  double scale = 1.0;       ///< Values are multiplied by this (100 for shares shown in %).
};

/// What the horizontal axis counts.
enum class XAxisMode { Step, Epoch, WallSeconds };

/// Curves of run metrics against steps, epochs or wall time, with EMA smoothing, a log-scale
/// toggle and vertical markers (e.g. prune steps). Live runs append points; nothing here knows
/// about training. Hovering shows each curve's nearest point; dragging pans and the wheel
/// zooms, and the zoom stays while a live run grows until a double-click or "Reset zoom".
/// The legend sits below the axes, where it covers no data.
///   SeriesPlot plot(tr("loss"), tr("accuracy (%)"));
///   plot.setStyles({{"train/loss", tr("train loss"), Qt::blue}});
///   plot.showRun(run);       // a stored run
///   plot.append(newRecords); // while it trains
class SeriesPlot : public QWidget {
  Q_OBJECT
 public:
  SeriesPlot(const QString& leftLabel, const QString& rightLabel, QWidget* parent = nullptr);

  void setStyles(const std::vector<SeriesStyle>& styles);
  void showRun(const RunData& run);
  void append(const RunData& delta);
  /// Replaces the points of one curve (by metric key); other keys are ignored.
  void setSeries(const std::string& key, const std::vector<MetricRow>& rows);
  void clear();
  void setTitle(const QString& title);

  /// EMA weight w in [0, 1): s_t = w s_{t-1} + (1 - w) x_t (0 draws the raw values).
  void setSmoothing(double weight);
  void setLogScale(bool on);
  /// Whether the left axis starts at 0 (losses) or fits the data (accuracies). Default true.
  void setZeroBased(bool on) { zero_based_ = on; }
  void setXAxisMode(XAxisMode mode);
  /// Vertical dashed lines at these steps (at most 64 are drawn), e.g. prune steps.
  void setMarkers(const std::vector<double>& steps);

  /// Each curve's point nearest to `x` (in the x axis's unit: step, epoch or seconds), one line
  /// per curve, e.g. "train loss: 0.4312 at step 1230" ("(raw 0.4123)" added when smoothed);
  /// "" when no curve has points. This is the hover tooltip's text.
  QString valuesAt(double x) const;
  /// Back to ranges that fit every curve, as a double-click does.
  void resetZoom();
  /// Whether the user panned or zoomed since the last reset.
  bool zoomed() const { return user_zoomed_; }

  QCustomPlot* plot() const { return plot_; }

 protected:
  void resizeEvent(QResizeEvent* event) override;

 private:
  struct Curve {
    std::vector<double> step, wall, value;
    double ema = 0;
  };
  void addPoints(size_t index, const std::vector<MetricRow>& rows, size_t from);
  void redraw(size_t index);
  double x(double step, double wall) const;
  void rescale();
  void updateLegendAndHints();

  QCustomPlot* plot_;
  QToolButton* reset_;  ///< Shown while zoomed.
  std::vector<SeriesStyle> styles_;
  std::vector<Curve> curves_;
  std::vector<double> markers_;
  double smoothing_ = 0.0;
  bool zero_based_ = true;
  bool log_ = false;
  XAxisMode mode_ = XAxisMode::Step;
  int64_t steps_per_epoch_ = 0;
  double wall_origin_ = -1;
  int64_t run_id_ = -1;       ///< The run shown, to keep a zoom while the same run redraws.
  bool user_zoomed_ = false;  ///< The user moved the ranges: appends keep them.
  bool rescaling_ = false;    ///< Ranges are being set by rescale(), not by the user.
};

}  // namespace slimlab
