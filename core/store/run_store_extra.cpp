// RunStore queries beyond runs and metrics: sensitivity curves, tags, notes, deletion.
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

std::vector<std::pair<std::string, double>> RunStore::last_values(int64_t run_id) {
  SqliteStmt q(db(),
               "SELECT k.name, m.value FROM metrics m JOIN metric_keys k ON k.id = m.key_id "
               "WHERE m.run_id = ?1 AND m.step = (SELECT MAX(step) FROM metrics m2 "
               "WHERE m2.run_id = ?1 AND m2.key_id = m.key_id) ORDER BY k.name");
  q.bind(1, run_id);
  std::vector<std::pair<std::string, double>> values;
  while (q.step()) values.emplace_back(q.text(0), q.real(1));
  return values;
}

void RunStore::set_tags(int64_t run_id, const std::vector<std::string>& tags) {
  SqliteTransaction tx(db());
  SqliteStmt clear(db(), "DELETE FROM tags WHERE run_id = ?");
  clear.bind(1, run_id).run();
  SqliteStmt add(db(), "INSERT OR IGNORE INTO tags(run_id, tag) VALUES(?, ?)");
  for (const auto& tag : tags) {
    if (!tag.empty()) add.bind(1, run_id).bind(2, tag).run();
  }
  tx.commit();
}

std::vector<std::string> RunStore::tags(int64_t run_id) {
  SqliteStmt q(db(), "SELECT tag FROM tags WHERE run_id = ? ORDER BY tag");
  q.bind(1, run_id);
  std::vector<std::string> tags;
  while (q.step()) tags.push_back(q.text(0));
  return tags;
}

void RunStore::set_note(int64_t run_id, const std::string& text) {
  if (text.empty()) {
    SqliteStmt q(db(), "DELETE FROM notes WHERE run_id = ?");
    q.bind(1, run_id).run();
    return;
  }
  SqliteStmt q(db(),
               "INSERT OR REPLACE INTO notes(run_id, text, updated_ms) VALUES(?, ?, "
               "CAST(strftime('%s', 'now') AS INTEGER) * 1000)");
  q.bind(1, run_id).bind(2, text).run();
}

std::string RunStore::note(int64_t run_id) {
  SqliteStmt q(db(), "SELECT text FROM notes WHERE run_id = ?");
  q.bind(1, run_id);
  return q.step() ? q.text(0) : std::string();
}

void RunStore::delete_run(int64_t run_id) {
  auto run = get_run(run_id);
  if (run.status == "running") {
    throw StoreError("run " + std::to_string(run_id) + " is still running; stop it first");
  }
  SqliteStmt q(db(), "DELETE FROM runs WHERE id = ?");
  q.bind(1, run_id).run();
}

}  // namespace slimlab
