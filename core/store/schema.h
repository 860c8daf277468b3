#pragma once

namespace slimlab {

/// Migration from schema version N-1 to N is kMigrations[N-1]. Never edit a released entry;
/// append a new one and raise kStoreSchema.
inline constexpr const char* kMigrations[] = {
    // 0 -> 1: the first schema.
    R"sql(
CREATE TABLE runs(
  id INTEGER PRIMARY KEY,
  uuid TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL,
  kind TEXT NOT NULL,
  status TEXT NOT NULL,
  parent_id INTEGER REFERENCES runs(id) ON DELETE SET NULL,
  created_ms INTEGER NOT NULL,
  finished_ms INTEGER,
  spec_json TEXT NOT NULL,
  env_json TEXT NOT NULL DEFAULT '{}',
  seed INTEGER NOT NULL,
  error TEXT NOT NULL DEFAULT '');
CREATE TABLE metric_keys(id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
CREATE TABLE metrics(
  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  key_id INTEGER NOT NULL REFERENCES metric_keys(id),
  step INTEGER NOT NULL,
  wall_ms INTEGER NOT NULL,
  value REAL NOT NULL,
  PRIMARY KEY(run_id, key_id, step)) WITHOUT ROWID;
CREATE TABLE events(
  id INTEGER PRIMARY KEY,
  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  step INTEGER NOT NULL,
  wall_ms INTEGER NOT NULL,
  kind TEXT NOT NULL,
  payload_json TEXT NOT NULL DEFAULT '{}');
CREATE INDEX events_by_run ON events(run_id, step);
CREATE TABLE checkpoints(
  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  step INTEGER NOT NULL,
  created_ms INTEGER NOT NULL,
  bytes BLOB NOT NULL,
  PRIMARY KEY(run_id, step));
CREATE TABLE tags(
  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  tag TEXT NOT NULL,
  PRIMARY KEY(run_id, tag));
CREATE TABLE notes(
  run_id INTEGER PRIMARY KEY REFERENCES runs(id) ON DELETE CASCADE,
  text TEXT NOT NULL,
  updated_ms INTEGER NOT NULL);
)sql",
    // 1 -> 2: mixture-of-experts router records. Vectors are little-endian BLOBs: load and
    // importance float32[experts], counts int64[classes * experts] row-major.
    R"sql(
CREATE TABLE expert_load(
  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  layer INTEGER NOT NULL,
  step INTEGER NOT NULL,
  load BLOB NOT NULL,
  importance BLOB NOT NULL,
  PRIMARY KEY(run_id, layer, step)) WITHOUT ROWID;
CREATE TABLE routing_matrix(
  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  layer INTEGER NOT NULL,
  step INTEGER NOT NULL,
  split TEXT NOT NULL,
  classes INTEGER NOT NULL,
  experts INTEGER NOT NULL,
  counts BLOB NOT NULL,
  PRIMARY KEY(run_id, layer, step, split)) WITHOUT ROWID;
)sql",
    // 2 -> 3: pruning sensitivity curves (layer pruned alone to `sparsity`, then evaluated).
    // Per-layer sparsity over steps lives in `metrics` as "sparsity/<layer>".
    R"sql(
CREATE TABLE sensitivity(
  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  criterion TEXT NOT NULL,
  layer TEXT NOT NULL,
  sparsity REAL NOT NULL,
  split TEXT NOT NULL,
  accuracy REAL NOT NULL,
  loss REAL NOT NULL,
  PRIMARY KEY(run_id, criterion, layer, sparsity)) WITHOUT ROWID;
)sql",
};

}  // namespace slimlab
