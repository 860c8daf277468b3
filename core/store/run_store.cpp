#include "store/run_store.h"

#include <signal.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <random>

#include "store/schema.h"
#include "util/paths.h"

namespace slimlab {
namespace {

constexpr int kSchemaCount = int(sizeof(kMigrations) / sizeof(kMigrations[0]));
static_assert(kSchemaCount == kStoreSchema, "one migration per schema version");

std::string new_uuid() {
  std::random_device device;
  std::mt19937_64 rng((uint64_t(device()) << 32) ^ device() ^ uint64_t(now_ms()));
  uint64_t hi = rng(), lo = rng();
  hi = (hi & 0xFFFFFFFFFFFF0FFFull) | 0x0000000000004000ull;  // Version 4.
  lo = (lo & 0x3FFFFFFFFFFFFFFFull) | 0x8000000000000000ull;  // RFC 4122 variant.
  char buf[40];
  std::snprintf(buf, sizeof buf, "%08x-%04x-%04x-%04x-%012llx", unsigned(hi >> 32),
                unsigned(hi >> 16) & 0xFFFF, unsigned(hi) & 0xFFFF, unsigned(lo >> 48) & 0xFFFF,
                static_cast<unsigned long long>(lo & 0xFFFFFFFFFFFFull));
  return buf;
}

RunRow read_run(SqliteStmt& q) {
  RunRow r;
  r.id = q.integer(0);
  r.uuid = q.text(1);
  r.name = q.text(2);
  r.kind = q.text(3);
  r.status = q.text(4);
  r.parent_id = q.is_null(5) ? 0 : q.integer(5);
  r.created_ms = q.integer(6);
  r.finished_ms = q.is_null(7) ? 0 : q.integer(7);
  r.spec_json = q.text(8);
  r.env_json = q.text(9);
  r.seed = q.integer(10);
  r.error = q.text(11);
  return r;
}

constexpr const char* kRunColumns =
    "SELECT id, uuid, name, kind, status, parent_id, created_ms, finished_ms, spec_json, "
    "env_json, seed, error FROM runs ";

// Vectors are stored as raw little-endian bytes (x86-64, ARM64: the host order).
template <typename T>
std::string to_blob(const std::vector<T>& values) {
  return std::string(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(T));
}

template <typename T>
std::vector<T> from_blob(const std::string& bytes) {
  std::vector<T> values(bytes.size() / sizeof(T));
  if (!values.empty()) std::memcpy(values.data(), bytes.data(), values.size() * sizeof(T));
  return values;
}

bool process_alive(int64_t pid) {
  if (pid <= 0) return false;
  return ::kill(pid_t(pid), 0) == 0 || errno == EPERM;
}

// Empty (a store about to be made) or starting with SQLite's 16-byte magic and a whole header.
bool looks_like_sqlite(const std::string& path) {
  std::FILE* file = std::fopen(path.c_str(), "rb");
  if (file == nullptr) return true;  // Unreadable: SQLite's own message says why.
  char header[100];
  size_t got = std::fread(header, 1, sizeof header, file);
  std::fclose(file);
  return got == 0 || (got == sizeof header && std::memcmp(header, "SQLite format 3", 16) == 0);
}

}  // namespace

RunStore::RunStore(const std::string& path, Access access) {
  namespace fs = std::filesystem;
  std::error_code ec;
  bool exists = fs::exists(path, ec);
  if (exists && fs::is_directory(path, ec)) {
    throw StoreError(path + ": is a directory; --db needs a file such as " + path + "/runs.sqlite");
  }
  if (access == Access::ReadOnly && !exists) {
    throw StoreError(path +
                     ": no run store here yet; run an experiment first, or pick a store "
                     "with --db FILE");
  }
  if (exists && !looks_like_sqlite(path)) {
    // SQLite reads a file shorter than its 100-byte header as an empty database and would write
    // a new store over it: a store cut short must be refused, not replaced.
    throw StoreError(path + ": not a SlimLab run store (not an SQLite database, or damaged)");
  }
  if (access == Access::ReadWrite) {
    if (exists) {
      struct stat st {};
      // Checked by mode bits too: root may write anyway, but a file made read-only is a
      // user's way of saying "don't touch".
      if (::stat(path.c_str(), &st) == 0 && (st.st_mode & (S_IWUSR | S_IWGRP | S_IWOTH)) == 0) {
        throw StoreError(path +
                         ": the run store is read-only; make it writable (chmod u+w) or "
                         "choose another store with --db FILE");
      }
    } else {
      ensure_directory(parent_directory(path));
    }
  }
  db_ = std::make_unique<SqliteDb>(
      path, access == Access::ReadOnly ? SqliteDb::Mode::ReadOnly : SqliteDb::Mode::ReadWrite);
  int version = 0;
  try {
    version = schema_version();
  } catch (const StoreError& e) {
    int code = sqlite3_errcode(db_->handle()) & 0xFF;
    if (code == SQLITE_NOTADB || code == SQLITE_CORRUPT) {
      throw StoreError(path + ": not a SlimLab run store (not an SQLite database, or damaged)");
    }
    throw;  // Busy, permissions, I/O: SQLite's own message says more.
  }
  if (version > kStoreSchema) {
    throw StoreError(path + ": written by a newer SlimLab (store schema " +
                     std::to_string(version) + ", this build reads up to " +
                     std::to_string(kStoreSchema) + "); update SlimLab or choose another --db");
  }
  if (access == Access::ReadWrite) {
    db_->exec("PRAGMA journal_mode = WAL");
    // WAL + NORMAL survives a killed process without losing committed transactions.
    db_->exec("PRAGMA synchronous = NORMAL");
    db_->exec("PRAGMA foreign_keys = ON");
    if (version < kStoreSchema) migrate();
  } else if (version < kStoreSchema) {
    throw StoreError(path + ": store schema " + std::to_string(version) +
                     " is older than this build's; open it once for writing to upgrade it");
  }
}

RunStore::~RunStore() = default;

const std::string& RunStore::path() const { return db_->path(); }
SqliteDb& RunStore::db() { return *db_; }

int RunStore::schema_version() {
  SqliteStmt q(*db_, "PRAGMA user_version");
  q.step();
  return int(q.integer(0));
}

void RunStore::migrate() {
  SqliteTransaction tx(*db_);
  int version = schema_version();  // Re-read inside the lock: another process may have migrated.
  if (version == 0) {
    SqliteStmt tables(*db_, "SELECT count(*) FROM sqlite_master WHERE type = 'table'");
    tables.step();
    if (tables.integer(0) > 0) {
      throw StoreError(path() +
                       ": an SQLite database, but not a SlimLab run store (it holds "
                       "other tables); choose another --db");
    }
  }
  for (int v = version; v < kStoreSchema; ++v) {
    db_->exec(kMigrations[v]);
  }
  if (version < kStoreSchema) db_->exec("PRAGMA user_version = " + std::to_string(kStoreSchema));
  tx.commit();
}

int64_t RunStore::create_run(const NewRun& run) {
  SqliteStmt q(*db_,
               "INSERT INTO runs(uuid, name, kind, status, parent_id, created_ms, spec_json, "
               "env_json, seed) VALUES(?, ?, ?, 'running', ?, ?, ?, ?, ?)");
  q.bind(1, new_uuid()).bind(2, run.name).bind(3, run.kind);
  if (run.parent_id > 0) {
    q.bind(4, run.parent_id);
  } else {
    q.bind_null(4);
  }
  q.bind(5, int64_t(now_ms())).bind(6, run.spec_json).bind(7, run.env_json).bind(8, run.seed);
  q.run();
  return db_->last_insert_id();
}

void RunStore::set_status(int64_t run_id, RunStatus status, const std::string& error) {
  bool ended = status != RunStatus::Running && status != RunStatus::Queued;
  SqliteStmt q(*db_, "UPDATE runs SET status = ?, error = ?, finished_ms = ? WHERE id = ?");
  q.bind(1, std::string(status_name(status))).bind(2, error);
  if (ended) {
    q.bind(3, int64_t(now_ms()));
  } else {
    q.bind_null(3);
  }
  q.bind(4, run_id).run();
}

bool RunStore::claim_for_resume(int64_t run_id, const std::string& env_json) {
  // One statement, so two `resume` commands cannot both take the run, and no reader can see the
  // new status with the old (dead) process id.
  SqliteStmt q(*db_,
               "UPDATE runs SET status = 'running', env_json = ?, finished_ms = NULL "
               "WHERE id = ? AND status NOT IN ('running', 'finished')");
  q.bind(1, env_json).bind(2, run_id).run();
  return db_->changes() == 1;
}

void RunStore::forget_after(int64_t run_id, int64_t step) {
  SqliteTransaction tx(*db_);
  for (const char* table : {"metrics", "expert_load", "routing_matrix"}) {
    SqliteStmt q(*db_, std::string("DELETE FROM ") + table + " WHERE run_id = ? AND step > ?");
    q.bind(1, run_id).bind(2, step).run();
  }
  tx.commit();
}

void RunStore::set_environment(int64_t run_id, const std::string& env_json) {
  SqliteStmt q(*db_, "UPDATE runs SET env_json = ? WHERE id = ?");
  q.bind(1, env_json).bind(2, run_id).run();
}

int64_t RunStore::metric_key_id(const std::string& name) {
  SqliteStmt insert(*db_, "INSERT OR IGNORE INTO metric_keys(name) VALUES(?)");
  insert.bind(1, name).run();
  SqliteStmt q(*db_, "SELECT id FROM metric_keys WHERE name = ?");
  q.bind(1, name);
  q.step();
  return q.integer(0);
}

void RunStore::add_metric(int64_t run_id, int64_t key_id, int64_t step, int64_t wall_ms,
                          double value) {
  // A resumed run re-logs steps after its checkpoint: the newer value replaces the older.
  if (!insert_metric_) {
    insert_metric_ = std::make_unique<SqliteStmt>(
        *db_,
        "INSERT OR REPLACE INTO metrics(run_id, key_id, step, wall_ms, value) "
        "VALUES(?, ?, ?, ?, ?)");
  }
  auto& q = *insert_metric_;
  q.reset();  // In case a failed step (full disk) left it mid-way.
  q.bind(1, run_id).bind(2, key_id).bind(3, step).bind(4, wall_ms).bind(5, value).run();
}

void RunStore::add_event(int64_t run_id, const EventRow& e) {
  SqliteStmt q(*db_,
               "INSERT INTO events(run_id, step, wall_ms, kind, payload_json) "
               "VALUES(?, ?, ?, ?, ?)");
  q.bind(1, run_id).bind(2, e.step).bind(3, e.wall_ms).bind(4, e.kind).bind(5, e.payload_json);
  q.run();
}

void RunStore::add_checkpoint(int64_t run_id, int64_t step, const std::string& bytes, int keep) {
  SqliteStmt q(*db_,
               "INSERT OR REPLACE INTO checkpoints(run_id, step, created_ms, bytes) "
               "VALUES(?, ?, ?, ?)");
  q.bind(1, run_id).bind(2, step).bind(3, int64_t(now_ms())).bind_blob(4, bytes).run();
  SqliteStmt prune(*db_,
                   "DELETE FROM checkpoints WHERE run_id = ? AND step NOT IN "
                   "(SELECT step FROM checkpoints WHERE run_id = ? "
                   "ORDER BY step DESC LIMIT ?)");
  prune.bind(1, run_id).bind(2, run_id).bind(3, int64_t(keep)).run();
}

void RunStore::add_expert_load(int64_t run_id, const ExpertLoadRow& row) {
  SqliteStmt q(*db_,
               "INSERT OR REPLACE INTO expert_load(run_id, layer, step, load, importance) "
               "VALUES(?, ?, ?, ?, ?)");
  q.bind(1, run_id).bind(2, row.layer).bind(3, row.step);
  q.bind_blob(4, to_blob(row.load)).bind_blob(5, to_blob(row.importance)).run();
}

void RunStore::add_routing_matrix(int64_t run_id, const RoutingMatrixRow& row) {
  SqliteStmt q(*db_,
               "INSERT OR REPLACE INTO routing_matrix(run_id, layer, step, split, classes, "
               "experts, counts) VALUES(?, ?, ?, ?, ?, ?, ?)");
  q.bind(1, run_id).bind(2, row.layer).bind(3, row.step).bind(4, row.split);
  q.bind(5, row.classes).bind(6, row.experts).bind_blob(7, to_blob(row.counts)).run();
}

std::vector<ExpertLoadRow> RunStore::expert_load(int64_t run_id) {
  SqliteStmt q(*db_,
               "SELECT layer, step, load, importance FROM expert_load WHERE run_id = ? "
               "ORDER BY layer, step");
  q.bind(1, run_id);
  std::vector<ExpertLoadRow> rows;
  while (q.step()) {
    rows.push_back(
        {q.integer(0), q.integer(1), from_blob<float>(q.blob(2)), from_blob<float>(q.blob(3))});
  }
  return rows;
}

std::vector<RoutingMatrixRow> RunStore::routing_matrices(int64_t run_id) {
  SqliteStmt q(*db_,
               "SELECT layer, step, split, classes, experts, counts FROM routing_matrix "
               "WHERE run_id = ? ORDER BY layer, step, split");
  q.bind(1, run_id);
  std::vector<RoutingMatrixRow> rows;
  while (q.step()) {
    rows.push_back({q.integer(0), q.integer(1), q.text(2), q.integer(3), q.integer(4),
                    from_blob<int64_t>(q.blob(5))});
  }
  return rows;
}

int RunStore::mark_interrupted_runs() {
  SqliteStmt q(*db_,
               "SELECT id, json_extract(env_json, '$.pid'), json_extract(env_json, "
               "'$.host') FROM runs WHERE status = 'running'");
  std::vector<int64_t> gone;
  std::string here = host_name();
  while (q.step()) {
    if (q.text(2) == here && !process_alive(q.integer(1))) gone.push_back(q.integer(0));
  }
  for (auto id : gone) set_status(id, RunStatus::Interrupted, "the process ended mid-run");
  return int(gone.size());
}

std::vector<RunRow> RunStore::list_runs() {
  SqliteStmt q(*db_, std::string(kRunColumns) + "ORDER BY id");
  std::vector<RunRow> rows;
  while (q.step()) rows.push_back(read_run(q));
  return rows;
}

RunRow RunStore::get_run(int64_t run_id) {
  SqliteStmt q(*db_, std::string(kRunColumns) + "WHERE id = ?");
  q.bind(1, run_id);
  if (!q.step()) throw StoreError(path() + ": no run with id " + std::to_string(run_id));
  return read_run(q);
}

RunRow RunStore::find_run(const std::string& reference) {
  if (!reference.empty() && reference.find_first_not_of("0123456789") == std::string::npos &&
      reference.size() < 16) {
    SqliteStmt q(*db_, std::string(kRunColumns) + "WHERE id = ?");
    q.bind(1, int64_t(std::stoll(reference)));
    if (q.step()) return read_run(q);
    // Not an id: uuid prefixes can be all digits too.
  }
  SqliteStmt q(*db_, std::string(kRunColumns) + "WHERE substr(uuid, 1, ?) = ? LIMIT 2");
  q.bind(1, int64_t(reference.size())).bind(2, reference);
  std::vector<RunRow> rows;
  while (q.step()) rows.push_back(read_run(q));
  if (rows.empty()) {
    throw StoreError(path() + ": no run \"" + reference +
                     "\" (give a run id or the start of its uuid; `slimlab-cli list` shows them)");
  }
  if (rows.size() > 1) {
    throw StoreError(path() + ": \"" + reference +
                     "\" matches several runs; give more of the uuid");
  }
  return rows.front();
}

std::optional<RunRow> RunStore::latest_finished(const std::string& name) {
  SqliteStmt q(*db_, std::string(kRunColumns) +
                         "WHERE name = ? AND status = 'finished' ORDER BY id DESC LIMIT 1");
  q.bind(1, name);
  if (!q.step()) return std::nullopt;
  return read_run(q);
}

std::vector<MetricRow> RunStore::metrics(int64_t run_id) {
  SqliteStmt q(*db_,
               "SELECT k.name, m.step, m.wall_ms, m.value FROM metrics m "
               "JOIN metric_keys k ON k.id = m.key_id WHERE m.run_id = ? "
               "ORDER BY k.name, m.step");
  q.bind(1, run_id);
  std::vector<MetricRow> rows;
  while (q.step()) rows.push_back({q.text(0), q.integer(1), q.integer(2), q.real(3)});
  return rows;
}

std::vector<MetricRow> RunStore::series(int64_t run_id, const std::string& key) {
  SqliteStmt q(*db_,
               "SELECT m.step, m.wall_ms, m.value FROM metrics m "
               "JOIN metric_keys k ON k.id = m.key_id WHERE m.run_id = ? AND k.name = ? "
               "ORDER BY m.step");
  q.bind(1, run_id).bind(2, key);
  std::vector<MetricRow> rows;
  while (q.step()) rows.push_back({key, q.integer(0), q.integer(1), q.real(2)});
  return rows;
}

std::optional<double> RunStore::last_value(int64_t run_id, const std::string& key) {
  SqliteStmt q(*db_,
               "SELECT m.value FROM metrics m JOIN metric_keys k ON k.id = m.key_id "
               "WHERE m.run_id = ? AND k.name = ? ORDER BY m.step DESC LIMIT 1");
  q.bind(1, run_id).bind(2, key);
  if (!q.step()) return std::nullopt;
  return q.real(0);
}

std::vector<EventRow> RunStore::events(int64_t run_id) {
  SqliteStmt q(*db_,
               "SELECT step, wall_ms, kind, payload_json FROM events WHERE run_id = ? "
               "ORDER BY step, id");
  q.bind(1, run_id);
  std::vector<EventRow> rows;
  while (q.step()) rows.push_back({q.integer(0), q.integer(1), q.text(2), q.text(3)});
  return rows;
}

std::optional<CheckpointRow> RunStore::latest_checkpoint(int64_t run_id) {
  SqliteStmt q(*db_,
               "SELECT step, bytes FROM checkpoints WHERE run_id = ? "
               "ORDER BY step DESC LIMIT 1");
  q.bind(1, run_id);
  if (!q.step()) return std::nullopt;
  return CheckpointRow{q.integer(0), q.blob(1)};
}

}  // namespace slimlab
