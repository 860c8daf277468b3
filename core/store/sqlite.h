#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>

struct sqlite3;
struct sqlite3_stmt;

namespace slimlab {

/// An error from SQLite, with the store's path and SQLite's own message.
class StoreError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Owns one sqlite3 connection. All SQL of SlimLab lives in core/store/.
class SqliteDb {
 public:
  enum class Mode { ReadOnly, ReadWrite };

  /// Opens (ReadWrite also creates) the database at `path`; throws StoreError.
  SqliteDb(const std::string& path, Mode mode);
  ~SqliteDb();
  SqliteDb(const SqliteDb&) = delete;
  SqliteDb& operator=(const SqliteDb&) = delete;

  /// Runs one or more statements without results; throws StoreError naming `what`.
  void exec(const std::string& sql);
  int64_t last_insert_id() const;
  int changes() const;
  sqlite3* handle() const { return db_; }
  const std::string& path() const { return path_; }
  /// Throws StoreError("<path>: <context>: <sqlite message>").
  [[noreturn]] void fail(const std::string& context) const;

 private:
  sqlite3* db_ = nullptr;
  std::string path_;
};

/// One prepared statement; bind with 1-based indices, step, read 0-based columns.
///   SqliteStmt q(db, "SELECT name FROM runs WHERE id = ?");
///   q.bind(1, id);
///   while (q.step()) names.push_back(q.text(0));
class SqliteStmt {
 public:
  SqliteStmt(SqliteDb& db, const std::string& sql);
  ~SqliteStmt();
  SqliteStmt(const SqliteStmt&) = delete;
  SqliteStmt& operator=(const SqliteStmt&) = delete;

  SqliteStmt& bind(int index, int64_t value);
  SqliteStmt& bind(int index, int value) { return bind(index, int64_t(value)); }
  SqliteStmt& bind(int index, double value);
  SqliteStmt& bind(int index, const std::string& value);
  SqliteStmt& bind_blob(int index, const std::string& bytes);
  SqliteStmt& bind_null(int index);

  /// Returns true while a row is available, false when done; throws StoreError on error.
  bool step();
  /// Steps a statement that returns no rows, then resets it for reuse.
  void run();
  void reset();

  int64_t integer(int column) const;
  double real(int column) const;
  std::string text(int column) const;
  std::string blob(int column) const;
  bool is_null(int column) const;

 private:
  SqliteDb& db_;
  sqlite3_stmt* stmt_ = nullptr;
};

/// BEGIN IMMEDIATE on construction; ROLLBACK unless commit() was called.
class SqliteTransaction {
 public:
  explicit SqliteTransaction(SqliteDb& db);
  ~SqliteTransaction();
  void commit();

 private:
  SqliteDb& db_;
  bool done_ = false;
};

}  // namespace slimlab
