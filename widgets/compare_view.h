#pragma once

#include <QWidget>
#include <nlohmann/json.hpp>
#include <vector>

#include "run_data.h"
#include "run_table.h"

class QComboBox;
class QCustomPlot;
class QTableWidget;

namespace slimlab {

/// Several runs side by side: one metric overlaid for the selected runs, the spec fields in
/// which they differ, and a Pareto scatter of test accuracy against parameters, MACs or
/// measured latency over every run of the store (selected runs ringed; clicking a point opens
/// its run).
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

  QComboBox* metric_;
  QComboBox* paretoAxis_;
  QCustomPlot* overlay_;
  QTableWidget* diff_;
  QCustomPlot* pareto_;
  std::vector<RunData> runs_;
  std::vector<RunSummary> all_;
  std::vector<qint64> paretoIds_;
};

/// The leaves of a JSON object as "path.to.field" -> compact value text.
std::map<std::string, std::string> flatten_json(const nlohmann::json& j);

}  // namespace slimlab
