#pragma once

#include <QWidget>
#include <nlohmann/json.hpp>
#include <vector>

#include "run_data.h"
#include "run_table.h"

class QComboBox;
class QCustomPlot;
class QCPItemText;
class QTableWidget;

namespace slimlab {

/// Several runs side by side: one metric overlaid for the selected runs, the spec fields in
/// which they differ, and a Pareto scatter of test accuracy against parameters, MACs or
/// measured latency over every run of the store. The Pareto plots each run at its real cost
/// (RunSummary::cost_basis: non-zero, shrunk or active figures; the axis says which), on a log
/// axis when the costs span more than 10x; selected runs are ringed; hovering a point names its
/// run with its figures, clicking it emits runActivated.
class CompareView : public QWidget {
  Q_OBJECT
 public:
  explicit CompareView(QWidget* parent = nullptr);
  /// `runs` and `specs` are the selected runs; `all` every run of the store (for the Pareto plot).
  void setRuns(const std::vector<RunData>& runs, const std::vector<nlohmann::json>& specs,
               const std::vector<RunSummary>& all);

  QCustomPlot* overlayPlot() const { return overlay_; }
  QCustomPlot* paretoPlot() const { return pareto_; }
  QTableWidget* diffTable() const { return diff_; }

 Q_SIGNALS:
  void runActivated(qint64 id);

 private:
  void drawOverlay();
  void drawPareto();
  /// Places the run labels beside their points where they overlap no other label or point, in
  /// the plot's pixels of this layout (called after each layout, so a resize places them anew).
  void placeParetoLabels();
  /// The index in paretoPoints_ of the point nearest `pixel` within 8 px, or -1.
  int paretoPointAt(const QPointF& pixel) const;

  QComboBox* metric_;
  QComboBox* paretoAxis_;
  QCustomPlot* overlay_;
  QTableWidget* diff_;
  QCustomPlot* pareto_;
  std::vector<RunData> runs_;
  std::vector<RunSummary> all_;
  /// One plotted run: its id, its point in plot coordinates, its hover text and label.
  struct ParetoPoint {
    qint64 id = 0;
    double x = 0, y = 0;  ///< Cost (as the axis chooser says) and test accuracy in %.
    QString tip;
    QCPItemText* label = nullptr;  ///< Owned by pareto_.
  };
  std::vector<ParetoPoint> paretoPoints_;
};

/// The leaves of a JSON object as "path.to.field" -> compact value text.
std::map<std::string, std::string> flatten_json(const nlohmann::json& j);

}  // namespace slimlab
