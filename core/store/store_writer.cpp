#include "store/store_writer.h"

#include <chrono>

#include "store/run_store.h"
#include "util/paths.h"

namespace slimlab {
namespace {
constexpr size_t kBatchWakeSize = 512;  // Wake the writer early when this many records wait.
}

StoreWriter::StoreWriter(const std::string& store_path, int64_t run_id, int flush_interval_ms)
    : path_(store_path),
      run_id_(run_id),
      flush_interval_ms_(flush_interval_ms),
      store_(std::make_unique<RunStore>(store_path, RunStore::Access::ReadWrite)) {
  thread_ = std::thread([this] { loop(); });
}

StoreWriter::~StoreWriter() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void StoreWriter::push(Item item, bool urgent) {
  item.wall_ms = now_ms();
  size_t queued;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    queue_.push_back(std::move(item));
    ++pushed_;
    queued = queue_.size();
    urgent_ = urgent_ || urgent;
  }
  if (urgent || queued >= kBatchWakeSize) wake_.notify_one();
}

void StoreWriter::metric(const std::string& key, int64_t step, double value) {
  Item item{Item::Kind::Metric, key, step};
  item.value = value;
  push(std::move(item));
}

void StoreWriter::event(int64_t step, const std::string& kind, const std::string& payload_json) {
  Item item{Item::Kind::Event, kind, step};
  item.payload = payload_json;
  push(std::move(item));
}

void StoreWriter::checkpoint(int64_t step, std::string bytes) {
  Item item{Item::Kind::Checkpoint, "", step};
  item.payload = std::move(bytes);
  push(std::move(item), /*urgent=*/true);  // What a resume needs: write it promptly.
}

void StoreWriter::status(RunStatus status, const std::string& error) {
  Item item{Item::Kind::Status, error};
  item.status = status;
  push(std::move(item), /*urgent=*/true);
}

void StoreWriter::custom(std::function<void(RunStore& store, int64_t run_id)> write) {
  Item item{Item::Kind::Custom, ""};
  item.write = std::move(write);
  push(std::move(item));
}

bool StoreWriter::flush() {
  std::unique_lock<std::mutex> lock(mutex_);
  uint64_t target = pushed_;
  urgent_ = true;
  wake_.notify_one();
  flushed_.wait(lock, [&] { return written_ >= target || !error_.empty(); });
  return error_.empty();
}

std::string StoreWriter::error() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return error_;
}

void StoreWriter::write_batch(RunStore& store, std::deque<Item>& batch) {
  SqliteTransaction tx(store.db());
  for (const auto& item : batch) {
    switch (item.kind) {
      case Item::Kind::Metric: {
        auto it = key_ids_.find(item.key);
        if (it == key_ids_.end()) {
          it = key_ids_.emplace(item.key, store.metric_key_id(item.key)).first;
        }
        store.add_metric(run_id_, it->second, item.step, item.wall_ms, item.value);
        break;
      }
      case Item::Kind::Event:
        store.add_event(run_id_, {item.step, item.wall_ms, item.key, item.payload});
        break;
      case Item::Kind::Checkpoint:
        store.add_checkpoint(run_id_, item.step, item.payload);
        break;
      case Item::Kind::Status:
        store.set_status(run_id_, item.status, item.key);
        break;
      case Item::Kind::Custom:
        item.write(store, run_id_);
        break;
    }
  }
  tx.commit();
}

void StoreWriter::loop() {
  std::unique_lock<std::mutex> lock(mutex_);
  while (true) {
    wake_.wait_for(lock, std::chrono::milliseconds(flush_interval_ms_),
                   [&] { return stopping_ || urgent_ || queue_.size() >= kBatchWakeSize; });
    urgent_ = false;
    std::deque<Item> batch;
    batch.swap(queue_);
    bool stop = stopping_;
    lock.unlock();
    if (!batch.empty() && error().empty()) {
      try {
        write_batch(*store_, batch);
      } catch (const std::exception& e) {
        std::lock_guard<std::mutex> error_lock(mutex_);
        if (error_.empty()) error_ = e.what();
      }
    }
    lock.lock();
    written_ += batch.size();
    flushed_.notify_all();
    if (stop && queue_.empty()) break;
  }
}

}  // namespace slimlab
