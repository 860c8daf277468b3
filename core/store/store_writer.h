#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "store/run_status.h"

namespace slimlab {

class RunStore;

/// The run store's one writer: a thread with its own connection that commits queued records in
/// batched transactions (every `flush_interval_ms`, or sooner when many are waiting), so the
/// training loop never waits on disk. Methods may be called from any thread.
class StoreWriter {
 public:
  /// Opens the writer's own connection here (a bad store fails now, with StoreError, not
  /// later on the thread), then starts the thread that uses it.
  StoreWriter(const std::string& store_path, int64_t run_id, int flush_interval_ms = 250);
  /// Commits everything queued, then stops the thread.
  ~StoreWriter();
  StoreWriter(const StoreWriter&) = delete;
  StoreWriter& operator=(const StoreWriter&) = delete;

  void metric(const std::string& key, int64_t step, double value);
  void event(int64_t step, const std::string& kind, const std::string& payload_json);
  void checkpoint(int64_t step, std::string bytes);
  void status(RunStatus status, const std::string& error = "");
  /// Any other record: `write` runs on the writer thread inside its batch transaction. Capture
  /// values, never references to the caller's objects.
  void custom(std::function<void(RunStore& store, int64_t run_id)> write);
  /// Blocks until everything queued so far is committed. Returns false if a write failed.
  bool flush();
  /// The first write error, or "" (e.g. a full disk). Later records are dropped after one.
  std::string error() const;

 private:
  struct Item {
    enum class Kind { Metric, Event, Checkpoint, Status, Custom };
    Item(Kind kind, std::string key, int64_t step = 0)
        : kind(kind), key(std::move(key)), step(step) {}
    Kind kind;
    std::string key;  // metric key, event kind or error text
    int64_t step = 0;
    int64_t wall_ms = 0;
    double value = 0;
    std::string payload;  // event JSON or checkpoint bytes
    RunStatus status = RunStatus::Running;
    std::function<void(RunStore&, int64_t)> write;
  };
  void push(Item item, bool urgent = false);
  void loop();
  void write_batch(RunStore& store, std::deque<Item>& batch);

  const std::string path_;
  const int64_t run_id_;
  const int flush_interval_ms_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable flushed_;
  std::deque<Item> queue_;
  uint64_t pushed_ = 0;
  uint64_t written_ = 0;
  bool stopping_ = false;
  bool urgent_ = false;  // A checkpoint, status or flush is waiting: write now.
  std::string error_;
  std::unique_ptr<RunStore> store_;         // writer thread only, after construction
  std::map<std::string, int64_t> key_ids_;  // writer thread only
  std::thread thread_;
};

}  // namespace slimlab
