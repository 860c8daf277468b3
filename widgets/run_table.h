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

/// Which count a run's cost figures are. The definitions are those of `slimlab-cli show
/// --layers` (core/prune/prune_report.h, layer_table) and, for MoE, of `show`'s "active" line
/// (core/measure/model_cost.h).
enum class CostBasis {
  Dense,     ///< Every parameter (weights and biases) and every MAC of the network as built.
  NonZero,   ///< Unstructured pruning: non-zero parameters; MACs with a non-zero weight.
  Physical,  ///< Structured pruning: the shrunk network, rebuilt without the removed units.
  Active,    ///< Mixture of experts: shared parameters plus top-k of E experts; MACs likewise.
};

/// "non-zero parameters", "parameters of the shrunk network", ...: what a params figure counts.
QString paramsDefinition(CostBasis basis);
/// "effective MACs per sample", ...: what a MACs figure counts.
QString macsDefinition(CostBasis basis);
/// "fp32 bytes, CSR of the non-zero weights", ... : what RunSummary::bytes counts for `basis`.
QString bytesDefinition(CostBasis basis);
/// Which runs a basis is used for ("pruned runs", "MoE runs", ...), for mixed axis labels.
QString costBasisRuns(CostBasis basis);
/// 266610 -> "266,610".
QString groupedCount(qint64 count);
/// "53,322 of 266,610" when the effective figure differs from the dense one, else "266,610".
QString costText(qint64 effective, qint64 dense);

/// One row of the run browser: what a run is and its headline figures.
struct RunSummary {
  qint64 id = 0;
  QString name;
  QString kind;    ///< train, distill, prune.
  QString status;  ///< running, finished, cancelled, ...
  qint64 created_ms = 0;
  double test_accuracy = -1;  ///< -1 when there is none (unfinished).
  qint64 params = 0;          ///< The run's real parameter count, as cost_basis defines it.
  qint64 macs = 0;            ///< Its real multiply-accumulates per sample, likewise.
  double latency_ms = -1;     ///< Measured inference latency (pruning runs), -1 when not measured.
  QStringList tags;
  QString note;
  std::map<QString, double> last;  ///< The newest value of every metric, by key.
  // Last, so that brace-initialised summaries (tests) keep their meaning.
  CostBasis cost_basis = CostBasis::Dense;  ///< What params and macs count.
  qint64 dense_params = 0;  ///< Every parameter of the network as built; 0 when unknown.
  qint64 dense_macs = 0;    ///< Every MAC per sample of it (all experts for MoE); 0 when unknown.
  /// Bytes to store the weights as fp32: CSR (values and column indices) after unstructured
  /// pruning, the shrunk network after structured pruning, every parameter (all experts of an
  /// MoE: they are all kept in memory) otherwise. As show --layers' "bytes". 0 when unknown.
  qint64 bytes = 0;
  qint64 dense_bytes = 0;  ///< 4 bytes per parameter of the network as built.
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
  /// Selects exactly these runs (those still listed) and then asks once to show or compare
  /// them, as selecting the rows by hand would.
  void selectIds(const std::vector<qint64>& ids);
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
  /// Open the run in a Tune window (explore its compression interactively).
  void tuneRequested(qint64 id);

 private:
  /// Selects exactly `ids` without asking anything of the window.
  void restoreSelection(const std::vector<qint64>& ids);
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
