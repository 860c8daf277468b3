#pragma once

#include <QString>
#include <QStringList>
#include <QWidget>
#include <map>
#include <vector>

class QComboBox;
class QLineEdit;
class QTableWidget;

namespace slimlab {

/// One row of the run browser: what a run is and its headline figures.
struct RunSummary {
  qint64 id = 0;
  QString name;
  QString kind;    ///< train, distill, prune.
  QString status;  ///< running, finished, cancelled, ...
  qint64 created_ms = 0;
  double test_accuracy = -1;  ///< -1 when there is none (unfinished).
  qint64 params = 0;          ///< Physical parameters (after structured pruning).
  qint64 macs = 0;            ///< MACs per sample (physical).
  double latency_ms = -1;     ///< Measured inference latency (pruning runs), -1 when not measured.
  QStringList tags;
  QString note;
  std::map<QString, double> last;  ///< The newest value of every metric, by key.
};

/// The runs of a store as a sortable table (click a header to sort by it; the last column shows
/// any metric chosen above it) with a text filter (name, tags, note), kind and status filters, and
/// a context menu for tags, notes, deletion and comparison. Selecting one run asks to show it;
/// selecting several, to compare them.
class RunTable : public QWidget {
  Q_OBJECT
 public:
  explicit RunTable(QWidget* parent = nullptr);
  void setRuns(const std::vector<RunSummary>& runs);
  const std::vector<RunSummary>& runs() const { return runs_; }
  /// Selects a run by id (no signal when it is already selected).
  void select(qint64 id);
  std::vector<qint64> selectedIds() const;
  QTableWidget* table() const { return table_; }
  int visibleRows() const;

 Q_SIGNALS:
  void runActivated(qint64 id);
  void compareRequested(const std::vector<qint64>& ids);
  void tagsRequested(qint64 id);
  void noteRequested(qint64 id);
  /// Open the run's spec in the editor (to run it again, changed or not).
  void specRequested(qint64 id);
  void deleteRequested(const std::vector<qint64>& ids);

 private:
  void applyFilter();
  void fillMetricColumn();
  void onSelection();

  QLineEdit* filter_;
  QComboBox* kind_;
  QComboBox* status_;
  QComboBox* metric_;  ///< Which metric the last column shows (sortable like the others).
  QTableWidget* table_;
  std::vector<RunSummary> runs_;
};

}  // namespace slimlab
