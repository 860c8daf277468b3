#include "run_table.h"
#include "method/method_registry.h"

#include <QComboBox>
#include <QDateTime>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QItemSelection>
#include <QLabel>
#include <QLineEdit>
#include <QMenu>
#include <QSignalBlocker>
#include <QTableWidget>
#include <QVBoxLayout>
#include <algorithm>
#include <cmath>
#include <set>

namespace slimlab {
namespace {

enum Column {
  kId,
  kName,
  kKind,
  kStatus,
  kAccuracy,
  kParams,
  kMacs,
  kLatency,
  kCreated,
  kTags,
  kMetric
};

// Numbers sort as numbers, not as text.
struct NumericItem : QTableWidgetItem {
  bool operator<(const QTableWidgetItem& other) const override {
    return data(Qt::UserRole).toDouble() < other.data(Qt::UserRole).toDouble();
  }
};

QTableWidgetItem* sortable(double value, const QString& text) {
  auto* item = new NumericItem;
  item->setData(Qt::DisplayRole, text);
  item->setData(Qt::UserRole, value);
  item->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
  return item;
}

// A cost cell: the real figure, the dense one beside it when they differ; sorted by the real one.
QTableWidgetItem* costItem(qint64 effective, qint64 dense, const QString& definition) {
  auto* item = sortable(double(effective), costText(effective, dense));
  QString tip = QString("%1 %2").arg(groupedCount(effective), definition);
  if (dense > 0 && dense != effective) {
    tip += QObject::tr("\n%1 in the network as built (dense)").arg(groupedCount(dense));
  }
  item->setToolTip(tip);
  return item;
}

}  // namespace

RunTable::RunTable(QWidget* parent)
    : QWidget(parent),
      filter_(new QLineEdit(this)),
      kind_(new QComboBox(this)),
      status_(new QComboBox(this)),
      metric_(new QComboBox(this)),
      table_(new QTableWidget(this)) {
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(0, 0, 0, 0);
  auto* filters = new QHBoxLayout;
  filter_->setPlaceholderText(tr("Filter: name, tag or note"));
  filter_->setClearButtonEnabled(true);
  kind_->addItems({tr("all kinds"), "train", "distill", "prune"});
  for (const auto* method : registered_methods())
    kind_->addItem(QString::fromStdString(method->key));
  status_->addItems(
      {tr("any status"), "running", "finished", "cancelled", "interrupted", "diverged", "failed"});
  filters->addWidget(filter_, 1);
  filters->addWidget(kind_);
  filters->addWidget(status_);
  layout->addLayout(filters);
  auto* column = new QHBoxLayout;
  column->addWidget(new QLabel(tr("Last column:"), this));
  column->addWidget(metric_, 1);
  metric_->setToolTip(tr("Any metric of the runs; click its header to sort by it"));
  layout->addLayout(column);
  layout->addWidget(table_, 1);
  table_->setColumnCount(11);
  table_->setHorizontalHeaderLabels({tr("#"), tr("name"), tr("kind"), tr("status"), tr("test acc."),
                                     tr("params"), tr("MACs"), tr("latency"), tr("created"),
                                     tr("tags"), tr("metric")});
  table_->horizontalHeaderItem(kParams)->setToolTip(
      tr("A run's real parameter count, then the dense one: non-zero parameters (weights and "
         "biases) after unstructured pruning, the shrunk network's after structured pruning, "
         "shared plus top-k of E experts for MoE, all of them otherwise (slimlab-cli show "
         "--layers counts the same way)"));
  table_->horizontalHeaderItem(kMacs)->setToolTip(
      tr("Multiply-accumulates per sample, then the dense figure: those with a non-zero weight "
         "after unstructured pruning, the shrunk network's after structured pruning, with k of "
         "E experts for MoE (slimlab-cli show --layers counts the same way)"));
  table_->setSelectionBehavior(QAbstractItemView::SelectRows);
  table_->setSelectionMode(QAbstractItemView::ExtendedSelection);
  table_->setEditTriggers(QAbstractItemView::NoEditTriggers);
  table_->verticalHeader()->hide();
  table_->horizontalHeader()->setStretchLastSection(true);
  table_->setSortingEnabled(true);
  table_->setContextMenuPolicy(Qt::CustomContextMenu);
  connect(filter_, &QLineEdit::textChanged, this, &RunTable::applyFilter);
  connect(kind_, &QComboBox::currentIndexChanged, this, &RunTable::applyFilter);
  connect(status_, &QComboBox::currentIndexChanged, this, &RunTable::applyFilter);
  connect(metric_, &QComboBox::currentIndexChanged, this, &RunTable::fillMetricColumn);
  connect(table_, &QTableWidget::itemSelectionChanged, this, &RunTable::onSelection);
  connect(table_, &QWidget::customContextMenuRequested, this, [this](const QPoint& at) {
    auto ids = selectedIds();
    if (ids.empty()) return;
    QMenu menu(this);
    if (ids.size() == 1) {
      menu.addAction(tr("Edit spec and run again..."), this,
                     [this, ids] { Q_EMIT specRequested(ids[0]); });
      menu.addAction(tr("Tune compression..."), this,
                     [this, ids] { Q_EMIT tuneRequested(ids[0]); });
      menu.addAction(tr("Tags..."), this, [this, ids] { Q_EMIT tagsRequested(ids[0]); });
      menu.addAction(tr("Note..."), this, [this, ids] { Q_EMIT noteRequested(ids[0]); });
    } else {
      menu.addAction(tr("Compare %1 runs").arg(ids.size()), this,
                     [this, ids] { Q_EMIT compareRequested(ids); });
    }
    menu.addSeparator();
    menu.addAction(tr("Delete..."), this, [this, ids] { Q_EMIT deleteRequested(ids); });
    menu.exec(table_->viewport()->mapToGlobal(at));
  });
}

void RunTable::setRuns(const std::vector<RunSummary>& runs) {
  auto keep = selectedIds();
  runs_ = runs;
  QSignalBlocker block(table_);
  table_->setSortingEnabled(false);
  table_->setRowCount(int(runs.size()));
  for (int row = 0; row < int(runs.size()); ++row) {
    const auto& r = runs[size_t(row)];
    table_->setItem(row, kId, sortable(double(r.id), QString::number(r.id)));
    table_->item(row, kId)->setData(Qt::UserRole + 1, r.id);
    table_->setItem(row, kName, new QTableWidgetItem(r.name));
    table_->setItem(row, kKind, new QTableWidgetItem(r.kind));
    table_->setItem(row, kStatus, new QTableWidgetItem(r.status));
    table_->setItem(
        row, kAccuracy,
        sortable(r.test_accuracy, r.test_accuracy < 0
                                      ? QString()
                                      : QString::number(100 * r.test_accuracy, 'f', 2) + "%"));
    table_->setItem(row, kParams,
                    costItem(r.params, r.dense_params, paramsDefinition(r.cost_basis)));
    table_->setItem(row, kMacs, costItem(r.macs, r.dense_macs, macsDefinition(r.cost_basis)));
    table_->setItem(
        row, kLatency,
        sortable(r.latency_ms,
                 r.latency_ms < 0 ? QString() : QString::number(r.latency_ms, 'f', 3) + " ms"));
    table_->setItem(row, kCreated,
                    new QTableWidgetItem(
                        QDateTime::fromMSecsSinceEpoch(r.created_ms).toString("yyyy-MM-dd hh:mm")));
    auto* tags = new QTableWidgetItem(r.tags.join(", "));
    tags->setToolTip(r.note);
    table_->setItem(row, kTags, tags);
  }
  {
    // The metrics any run has, for the last column; keep the user's choice.
    std::set<QString> keys;
    for (const auto& r : runs) {
      for (const auto& [key, value] : r.last) keys.insert(key);
    }
    QString chosen = metric_->currentText().isEmpty() ? "validation/loss" : metric_->currentText();
    QSignalBlocker block_metric(metric_);
    metric_->clear();
    for (const auto& k : keys) metric_->addItem(k);
    metric_->setCurrentText(chosen);
  }
  fillMetricColumn();
  table_->setSortingEnabled(true);
  table_->resizeColumnsToContents();
  applyFilter();
  // Every selected run stays selected (the store is re-read while runs are compared), without
  // a signal: what is shown does not change.
  if (!keep.empty()) restoreSelection(keep);
}

void RunTable::fillMetricColumn() {
  const QString key = metric_->currentText();
  const bool sorting = table_->isSortingEnabled();
  table_->setSortingEnabled(false);  // Rows must not move while the column fills.
  table_->setHorizontalHeaderItem(kMetric,
                                  new QTableWidgetItem(key.isEmpty() ? tr("metric") : key));
  for (int row = 0; row < table_->rowCount(); ++row) {
    qint64 id = table_->item(row, kId)->data(Qt::UserRole + 1).toLongLong();
    double value = std::nan("");
    for (const auto& r : runs_) {
      if (r.id != id) continue;
      auto it = r.last.find(key);
      if (it != r.last.end()) value = it->second;
    }
    table_->setItem(row, kMetric,
                    sortable(std::isnan(value) ? -1e300 : value,
                             std::isnan(value) ? QString() : QString::number(value, 'g', 5)));
  }
  table_->setSortingEnabled(sorting);
}

void RunTable::applyFilter() {
  const QString text = filter_->text();
  for (int row = 0; row < table_->rowCount(); ++row) {
    qint64 id = table_->item(row, kId)->data(Qt::UserRole + 1).toLongLong();
    const RunSummary* r = nullptr;
    for (const auto& s : runs_) {
      if (s.id == id) r = &s;
    }
    bool shown = r != nullptr;
    if (shown && !text.isEmpty()) {
      shown = r->name.contains(text, Qt::CaseInsensitive) ||
              r->tags.join(" ").contains(text, Qt::CaseInsensitive) ||
              r->note.contains(text, Qt::CaseInsensitive);
    }
    // A run's kind lists all its methods ("distill+prune"): it shows under each of them.
    if (shown && kind_->currentIndex() > 0) {
      shown = ("+" + r->kind + "+").contains("+" + kind_->currentText() + "+");
    }
    if (shown && status_->currentIndex() > 0) shown = r->status == status_->currentText();
    table_->setRowHidden(row, !shown);
  }
}

int RunTable::visibleRows() const {
  int n = 0;
  for (int row = 0; row < table_->rowCount(); ++row) n += !table_->isRowHidden(row);
  return n;
}

std::vector<qint64> RunTable::selectedIds() const {
  std::vector<qint64> ids;
  for (const auto& index : table_->selectionModel()->selectedRows(kId)) {
    ids.push_back(table_->item(index.row(), kId)->data(Qt::UserRole + 1).toLongLong());
  }
  return ids;
}

void RunTable::select(qint64 id) {
  for (int row = 0; row < table_->rowCount(); ++row) {
    if (table_->item(row, kId)->data(Qt::UserRole + 1).toLongLong() == id) {
      table_->selectRow(row);
      return;
    }
  }
}

void RunTable::selectIds(const std::vector<qint64>& ids) {
  {
    QSignalBlocker block(table_);
    restoreSelection(ids);
  }
  onSelection();
}

void RunTable::restoreSelection(const std::vector<qint64>& ids) {
  QItemSelection rows;
  for (int row = 0; row < table_->rowCount(); ++row) {
    const qint64 id = table_->item(row, kId)->data(Qt::UserRole + 1).toLongLong();
    if (std::find(ids.begin(), ids.end(), id) != ids.end()) {
      rows.select(table_->model()->index(row, 0),
                  table_->model()->index(row, table_->columnCount() - 1));
    }
  }
  table_->selectionModel()->select(rows, QItemSelectionModel::ClearAndSelect);
}

void RunTable::onSelection() {
  auto ids = selectedIds();
  if (ids.size() == 1) Q_EMIT runActivated(ids[0]);
  if (ids.size() > 1) Q_EMIT compareRequested(ids);
}

}  // namespace slimlab
