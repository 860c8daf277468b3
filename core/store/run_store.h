#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "store/run_status.h"
#include "store/sqlite.h"

namespace slimlab {

/// The run-store schema this build writes; files with a higher `PRAGMA user_version` are refused.
constexpr int kStoreSchema = 3;

/// One row of `runs`.
struct RunRow {
  int64_t id = 0;
  std::string uuid;
  std::string name;
  std::string kind;  ///< "train", "distill" or "prune".
  std::string status;
  int64_t parent_id = 0;  ///< 0 when none.
  int64_t created_ms = 0;
  int64_t finished_ms = 0;  ///< 0 while unfinished.
  std::string spec_json;
  std::string env_json;
  int64_t seed = 0;
  std::string error;
};

/// What `create_run` needs.
struct NewRun {
  std::string name;
  std::string kind = "train";
  std::string spec_json;
  std::string env_json = "{}";
  int64_t seed = 0;
  int64_t parent_id = 0;
};

struct MetricRow {
  std::string key;
  int64_t step = 0;
  int64_t wall_ms = 0;
  double value = 0;
};

struct EventRow {
  int64_t step = 0;
  int64_t wall_ms = 0;
  std::string kind;
  std::string payload_json;
};

/// Per-expert load share and mean router probability of one MoE layer at one step.
struct ExpertLoadRow {
  int64_t layer = 0;
  int64_t step = 0;
  std::vector<float> load;
  std::vector<float> importance;
};

/// Class x expert first-choice counts of one MoE layer on a split at one step.
struct RoutingMatrixRow {
  int64_t layer = 0;
  int64_t step = 0;
  std::string split;
  int64_t classes = 0;
  int64_t experts = 0;
  std::vector<int64_t> counts;  ///< Row-major [classes][experts].
};

/// One point of a pruning sensitivity curve of the run's trained network.
struct SensitivityStoreRow {
  std::string criterion;  ///< "magnitude", "l1-norm", ...
  std::string layer;
  double sparsity = 0;
  std::string split;  ///< The split evaluated ("validation", or "test" without one).
  double accuracy = 0;
  double loss = 0;
};

struct CheckpointRow {
  int64_t step = 0;
  std::string bytes;
};

/// The SQLite file that keeps every run: schema, migrations and all queries. One connection;
/// use one RunStore per thread.
class RunStore {
 public:
  enum class Access { ReadOnly, ReadWrite };

  /// Opens the store at `path`. ReadWrite creates the file (and its directory) when missing and
  /// migrates an older schema. Throws StoreError with a one-line explanation for a file that is
  /// not SQLite, not a SlimLab store, from a newer SlimLab, read-only, or missing (ReadOnly).
  RunStore(const std::string& path, Access access);
  ~RunStore();

  const std::string& path() const;
  int schema_version();
  SqliteDb& db();

  // Writing.
  int64_t create_run(const NewRun& run);
  void set_status(int64_t run_id, RunStatus status, const std::string& error = "");
  void set_environment(int64_t run_id, const std::string& env_json);
  /// Marks a cancelled / interrupted / failed run as running under this process (env_json);
  /// false when it is running elsewhere or finished.
  bool claim_for_resume(int64_t run_id, const std::string& env_json);
  /// Deletes the records a run logged after `step` (a resume from that checkpoint re-logs them).
  void forget_after(int64_t run_id, int64_t step);
  int64_t metric_key_id(const std::string& name);
  void add_metric(int64_t run_id, int64_t key_id, int64_t step, int64_t wall_ms, double value);
  void add_event(int64_t run_id, const EventRow& event);
  /// Stores a checkpoint and keeps only the newest `keep` of the run.
  void add_checkpoint(int64_t run_id, int64_t step, const std::string& bytes, int keep = 2);
  void add_expert_load(int64_t run_id, const ExpertLoadRow& row);
  void add_routing_matrix(int64_t run_id, const RoutingMatrixRow& row);
  /// Stores sensitivity points, replacing earlier ones for the same criterion, layer, sparsity.
  void add_sensitivity(int64_t run_id, const std::vector<SensitivityStoreRow>& rows);
  /// Replaces a run's tags.
  void set_tags(int64_t run_id, const std::vector<std::string>& tags);
  /// Sets a run's note ("" removes it).
  void set_note(int64_t run_id, const std::string& text);
  /// Deletes a run and everything recorded for it; refuses a run that is still running.
  void delete_run(int64_t run_id);
  /// Marks `running` runs whose process (env_json pid on this host) has gone as `interrupted`.
  int mark_interrupted_runs();

  // Reading.
  std::vector<RunRow> list_runs();
  RunRow get_run(int64_t run_id);
  /// Finds a run by id, or by a unique prefix of its uuid; throws StoreError when none matches.
  RunRow find_run(const std::string& reference);
  /// The newest finished run called `name`, if any.
  std::optional<RunRow> latest_finished(const std::string& name);
  std::vector<MetricRow> metrics(int64_t run_id);
  std::vector<MetricRow> series(int64_t run_id, const std::string& key);
  std::optional<double> last_value(int64_t run_id, const std::string& key);
  std::vector<EventRow> events(int64_t run_id);
  std::optional<CheckpointRow> latest_checkpoint(int64_t run_id);
  /// All expert-load rows of a run, ordered by layer then step.
  std::vector<ExpertLoadRow> expert_load(int64_t run_id);
  /// All routing matrices of a run, ordered by layer, step, split.
  std::vector<RoutingMatrixRow> routing_matrices(int64_t run_id);
  /// The newest value of every metric of a run, by key.
  std::vector<std::pair<std::string, double>> last_values(int64_t run_id);
  std::vector<std::string> tags(int64_t run_id);
  std::string note(int64_t run_id);
  /// Sensitivity points of a run, ordered by criterion, layer, sparsity.
  std::vector<SensitivityStoreRow> sensitivity(int64_t run_id);

 private:
  void migrate();
  std::unique_ptr<SqliteDb> db_;
  /// add_metric's statement, prepared once: preparing it for every row halved the writer's
  /// rate. Declared after db_, so it is finalised before the connection closes.
  std::unique_ptr<SqliteStmt> insert_metric_;
};

}  // namespace slimlab
