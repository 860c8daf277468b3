// RunStore queries of pruning runs: sensitivity curves.
#include "store/run_store.h"

namespace slimlab {

void RunStore::add_sensitivity(int64_t run_id, const std::vector<SensitivityStoreRow>& rows) {
  SqliteTransaction tx(db());
  SqliteStmt q(db(),
               "INSERT OR REPLACE INTO sensitivity(run_id, criterion, layer, sparsity, split, "
               "accuracy, loss) VALUES(?, ?, ?, ?, ?, ?, ?)");
  for (const auto& r : rows) {
    q.bind(1, run_id).bind(2, r.criterion).bind(3, r.layer).bind(4, r.sparsity);
    q.bind(5, r.split).bind(6, r.accuracy).bind(7, r.loss).run();
  }
  tx.commit();
}

std::vector<SensitivityStoreRow> RunStore::sensitivity(int64_t run_id) {
  SqliteStmt q(db(),
               "SELECT criterion, layer, sparsity, split, accuracy, loss FROM sensitivity "
               "WHERE run_id = ? ORDER BY criterion, layer, sparsity");
  q.bind(1, run_id);
  std::vector<SensitivityStoreRow> rows;
  while (q.step()) {
    rows.push_back({q.text(0), q.text(1), q.real(2), q.text(3), q.real(4), q.real(5)});
  }
  return rows;
}

}  // namespace slimlab
