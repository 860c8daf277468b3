#pragma once

#include <QWidget>

#include "run_data.h"

class QTextBrowser;

namespace slimlab {

/// A finished run's summary as its methods reported it (method/method_summary.h): for each
/// registered compression method in the run (low rank, quantisation, ...), its figures and
/// tables, so a method without a view of its own still shows what it measured; above them the
/// run's cost (parameters, MACs, steps, test accuracy). GUI thread only.
class SummaryView : public QWidget {
  Q_OBJECT
 public:
  explicit SummaryView(QWidget* parent = nullptr);
  /// Shows the newest "summary" event of `run`; a run without one says so.
  void showRun(const RunData& run);
  /// The shown page as HTML (for tests).
  QString html() const;
  /// True when `run` holds a summary event.
  static bool hasSummary(const RunData& run);

 private:
  QTextBrowser* text_;
};

}  // namespace slimlab
