#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <thread>

#include "store/run_store.h"
#include "store/schema.h"
#include "store/sqlite.h"
#include "store/store_writer.h"
#include "test_files.h"
#include "util/paths.h"

using namespace slimlab;
using namespace slimlab::testing;

namespace {

std::string store_error(const std::string& path, RunStore::Access access) {
  try {
    RunStore store(path, access);
  } catch (const StoreError& e) {
    return e.what();
  }
  return "";
}

NewRun sample_run(const std::string& name) {
  NewRun run;
  run.name = name;
  run.spec_json = R"({"name":")" + name + R"("})";
  run.env_json = R"({"host":"elsewhere","pid":1})";
  run.seed = 5;
  return run;
}

}  // namespace

TEST(RunStoreTest, CreatesDirectoryAndSchema) {
  TempDir dir;
  auto path = dir.file("a/b/runs.sqlite");
  RunStore store(path, RunStore::Access::ReadWrite);
  EXPECT_EQ(store.schema_version(), kStoreSchema);
  EXPECT_TRUE(store.list_runs().empty());
  SqliteStmt mode(store.db(), "PRAGMA journal_mode");
  ASSERT_TRUE(mode.step());
  EXPECT_EQ(mode.text(0), "wal");
}

TEST(RunStoreTest, RoundTripsRunsMetricsEventsCheckpoints) {
  TempDir dir;
  auto path = dir.file("runs.sqlite");
  int64_t id;
  {
    RunStore store(path, RunStore::Access::ReadWrite);
    id = store.create_run(sample_run("first"));
    auto key = store.metric_key_id("train/loss");
    EXPECT_EQ(key, store.metric_key_id("train/loss"));
    store.add_metric(id, key, 10, 1000, 0.5);
    store.add_metric(id, key, 20, 2000, 0.25);
    store.add_metric(id, key, 20, 2100, 0.2);  // A resumed run re-logs a step: newest wins.
    store.add_event(id, {20, 2000, "checkpoint", R"({"bytes":3})"});
    for (int step : {10, 20, 30})
      store.add_checkpoint(id, step, std::string(3, char('a' + step / 10)));
    store.set_status(id, RunStatus::Finished);
  }
  RunStore store(path, RunStore::Access::ReadOnly);
  auto run = store.find_run(std::to_string(id));
  EXPECT_EQ(run.name, "first");
  EXPECT_EQ(run.status, "finished");
  EXPECT_GT(run.finished_ms, 0);
  EXPECT_EQ(store.find_run(run.uuid.substr(0, 6)).id, id);
  auto series = store.series(id, "train/loss");
  ASSERT_EQ(series.size(), 2u);
  EXPECT_DOUBLE_EQ(series[1].value, 0.2);
  EXPECT_EQ(*store.last_value(id, "train/loss"), 0.2);
  EXPECT_FALSE(store.last_value(id, "test/accuracy").has_value());
  ASSERT_EQ(store.events(id).size(), 1u);
  EXPECT_EQ(store.events(id)[0].kind, "checkpoint");
  auto checkpoint = store.latest_checkpoint(id);
  ASSERT_TRUE(checkpoint.has_value());
  EXPECT_EQ(checkpoint->step, 30);
  EXPECT_EQ(checkpoint->bytes, "ddd");
  SqliteStmt count(store.db(), "SELECT count(*) FROM checkpoints");
  count.step();
  EXPECT_EQ(count.integer(0), 2);  // Only the newest two are kept.
  EXPECT_THROW(store.find_run("999"), StoreError);
  EXPECT_THROW(store.find_run("zzzz"), StoreError);
}

TEST(RunStoreTest, WriterThreadBatchesAndFlushes) {
  TempDir dir;
  auto path = dir.file("runs.sqlite");
  int64_t id = RunStore(path, RunStore::Access::ReadWrite).create_run(sample_run("w"));
  {
    StoreWriter writer(path, id, /*flush_interval_ms=*/50);
    for (int step = 1; step <= 3000; ++step) writer.metric("train/loss", step, 1.0 / step);
    writer.event(3000, "note", "{}");
    writer.checkpoint(3000, "bytes");
    writer.status(RunStatus::Finished);
    EXPECT_TRUE(writer.flush());
    RunStore reader(path, RunStore::Access::ReadOnly);
    EXPECT_EQ(reader.series(id, "train/loss").size(), 3000u);
    EXPECT_EQ(reader.get_run(id).status, "finished");
  }
}

TEST(RunStoreTest, RefusesFilesThatAreNotStores) {
  TempDir dir;
  write_file(dir.file("text.sqlite"), std::string(4096, 'x'));
  auto message = store_error(dir.file("text.sqlite"), RunStore::Access::ReadWrite);
  EXPECT_NE(message.find("not a SlimLab run store"), std::string::npos) << message;
  EXPECT_EQ(std::string(4096, 'x').size(), std::filesystem::file_size(dir.file("text.sqlite")));

  {
    SqliteDb other(dir.file("other.sqlite"), SqliteDb::Mode::ReadWrite);
    other.exec("CREATE TABLE songs(title TEXT)");
  }
  message = store_error(dir.file("other.sqlite"), RunStore::Access::ReadWrite);
  EXPECT_NE(message.find("holds other tables"), std::string::npos) << message;

  message = store_error(dir.file("missing.sqlite"), RunStore::Access::ReadOnly);
  EXPECT_NE(message.find("no run store here yet"), std::string::npos) << message;
  message = store_error(dir.path(), RunStore::Access::ReadWrite);
  EXPECT_NE(message.find("is a directory"), std::string::npos) << message;
}

// A store cut short (a copy that stopped half way, a full USB stick): every read either works or
// is a StoreError naming the file; nothing crashes and the file is left as it was.
TEST(RunStoreTest, TruncatedFilesAreClearErrorsNotCrashes) {
  TempDir dir;
  auto path = dir.file("runs.sqlite");
  {
    RunStore store(path, RunStore::Access::ReadWrite);
    for (int r = 0; r < 3; ++r) {
      auto id = store.create_run(sample_run("run" + std::to_string(r)));
      auto key = store.metric_key_id("train/loss");
      for (int step = 0; step < 3000; ++step)
        store.add_metric(id, key, step, step, 1.0 / (1 + step));
      store.add_checkpoint(id, 3000, std::string(20000, 'w'));
    }
  }
  const auto whole = std::filesystem::file_size(path);
  std::string bytes(whole, '\0');
  {
    std::FILE* f = std::fopen(path.c_str(), "rb");
    ASSERT_EQ(std::fread(bytes.data(), 1, whole, f), whole);
    std::fclose(f);
  }
  int refused = 0;
  for (size_t keep : {size_t(50), size_t(100), size_t(4096), whole / 3, whole / 2, whole - 4096}) {
    auto cut = dir.file("cut" + std::to_string(keep) + ".sqlite");
    write_file(cut, bytes.substr(0, keep));
    try {
      RunStore store(cut, RunStore::Access::ReadOnly);
      for (const auto& run : store.list_runs()) {
        store.metrics(run.id);
        store.latest_checkpoint(run.id);
      }
    } catch (const StoreError& e) {
      ++refused;
      EXPECT_NE(std::string(e.what()).find(cut), std::string::npos) << e.what();
    }
    EXPECT_EQ(std::filesystem::file_size(cut), keep) << "the damaged file must be left alone";
  }
  EXPECT_GE(refused, 4) << "most cuts lose pages the reads need";
  // Cut inside SQLite's header: refused for writing too, not replaced by a new store.
  auto stub = dir.file("stub.sqlite");
  write_file(stub, bytes.substr(0, 50));
  auto message = store_error(stub, RunStore::Access::ReadWrite);
  EXPECT_NE(message.find("not a SlimLab run store"), std::string::npos) << message;
  EXPECT_EQ(std::filesystem::file_size(stub), 50u);
}

TEST(RunStoreTest, RefusesNewerSchemaAndKeepsTheFile) {
  TempDir dir;
  auto path = dir.file("runs.sqlite");
  {
    RunStore store(path, RunStore::Access::ReadWrite);
    store.create_run(sample_run("kept"));
    store.db().exec("PRAGMA user_version = 99");
  }
  auto message = store_error(path, RunStore::Access::ReadWrite);
  EXPECT_NE(message.find("written by a newer SlimLab (store schema 99"), std::string::npos)
      << message;
  SqliteDb raw(path, SqliteDb::Mode::ReadOnly);
  SqliteStmt q(raw, "SELECT name FROM runs");
  ASSERT_TRUE(q.step());
  EXPECT_EQ(q.text(0), "kept");
}

TEST(RunStoreTest, ReadOnlyFileIsRefusedForWritingButStillReadable) {
  TempDir dir;
  auto path = dir.file("runs.sqlite");
  {
    RunStore store(path, RunStore::Access::ReadWrite);
    store.create_run(sample_run("r"));
    store.db().exec("PRAGMA wal_checkpoint(TRUNCATE)");
  }
  ::chmod(path.c_str(), 0444);
  auto message = store_error(path, RunStore::Access::ReadWrite);
  EXPECT_NE(message.find("read-only"), std::string::npos) << message;
  RunStore reader(path, RunStore::Access::ReadOnly);
  EXPECT_EQ(reader.list_runs().size(), 1u);
}

TEST(RunStoreTest, RunsOfDeadProcessesBecomeInterrupted) {
  TempDir dir;
  RunStore store(dir.file("runs.sqlite"), RunStore::Access::ReadWrite);
  auto gone = sample_run("gone");
  gone.env_json = R"({"host":")" + host_name() + R"(","pid":2147483000})";
  auto alive = sample_run("alive");
  alive.env_json = R"({"host":")" + host_name() + R"(","pid":)" + std::to_string(::getpid()) + "}";
  auto gone_id = store.create_run(gone);
  auto alive_id = store.create_run(alive);
  auto remote_id = store.create_run(sample_run("remote"));
  EXPECT_EQ(store.mark_interrupted_runs(), 1);
  EXPECT_EQ(store.get_run(gone_id).status, "interrupted");
  EXPECT_EQ(store.get_run(alive_id).status, "running");
  EXPECT_EQ(store.get_run(remote_id).status, "running");  // Another host's process: unknown.
}

TEST(RunStoreTest, SchemaTwoStoresMigrateAndKeepSensitivityCurves) {
  TempDir dir;
  auto path = dir.file("runs.sqlite");
  int64_t id;
  {
    // A store as the previous release wrote it: schema 2, one run.
    SqliteDb db(path, SqliteDb::Mode::ReadWrite);
    db.exec("PRAGMA journal_mode = WAL");
    for (int v = 0; v < 2; ++v) db.exec(kMigrations[v]);
    db.exec("PRAGMA user_version = 2");
    db.exec(
        "INSERT INTO runs(uuid, name, kind, status, created_ms, spec_json, seed) "
        "VALUES('u-1', 'old', 'train', 'finished', 1, '{}', 0)");
  }
  {
    RunStore store(path, RunStore::Access::ReadWrite);
    EXPECT_EQ(store.schema_version(), 3);
    auto runs = store.list_runs();
    ASSERT_EQ(runs.size(), 1u);
    id = runs[0].id;
    store.add_sensitivity(id, {{"magnitude", "layers.0", 0.5, "validation", 0.8, 0.6},
                               {"magnitude", "layers.0", 0.0, "validation", 0.9, 0.3}});
    // Re-running replaces the same point instead of adding a second one.
    store.add_sensitivity(id, {{"magnitude", "layers.0", 0.5, "validation", 0.7, 0.7}});
  }
  RunStore store(path, RunStore::Access::ReadOnly);
  auto rows = store.sensitivity(id);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].sparsity, 0.0);
  EXPECT_EQ(rows[1].accuracy, 0.7);
  EXPECT_EQ(rows[1].split, "validation");
}

TEST(RunStoreTest, TagsNotesAndDeletionKeepOtherRuns) {
  TempDir dir;
  RunStore store(dir.file("runs.sqlite"), RunStore::Access::ReadWrite);
  auto a = store.create_run(sample_run("a"));
  auto b = store.create_run(sample_run("b"));
  store.set_tags(a, {"lesson-3", "baseline", "baseline"});
  EXPECT_EQ(store.tags(a), (std::vector<std::string>{"baseline", "lesson-3"}));
  store.set_note(a, "dense reference for the class");
  EXPECT_EQ(store.note(a), "dense reference for the class");
  store.set_note(a, "");
  EXPECT_EQ(store.note(a), "");
  auto key = store.metric_key_id("train/loss");
  store.add_metric(a, key, 1, 1, 0.5);
  store.add_metric(a, key, 2, 1, 0.4);
  store.add_metric(b, key, 1, 1, 0.7);
  EXPECT_EQ(store.last_values(a),
            (std::vector<std::pair<std::string, double>>{{"train/loss", 0.4}}));
  store.set_status(a, RunStatus::Running);
  EXPECT_THROW(store.delete_run(a), StoreError);  // Still training: not deleted.
  store.set_status(a, RunStatus::Finished);
  store.delete_run(a);
  ASSERT_EQ(store.list_runs().size(), 1u);
  EXPECT_TRUE(store.metrics(a).empty());
  EXPECT_EQ(store.metrics(b).size(), 1u);
  EXPECT_TRUE(store.tags(a).empty());
}

TEST(RunStoreTest, ReadersBesideTheWriterAreNeverLockedOutAndSeeWholeBatches) {
  TempDir dir;
  auto path = dir.file("runs.sqlite");
  int64_t id = RunStore(path, RunStore::Access::ReadWrite).create_run(sample_run("busy"));
  constexpr int kIterations = 2000;
  constexpr int kRowsPerStep = 8;  // One logged step of a run writes several keys at once.
  std::atomic<bool> writing{true};
  std::string writer_error;
  std::thread writer_thread([&] {
    StoreWriter writer(path, id, /*flush_interval_ms=*/1);
    for (int step = 1; step <= kIterations; ++step) {
      writer.custom([step](RunStore& store, int64_t run) {
        for (int k = 0; k < kRowsPerStep; ++k) {
          store.add_metric(run, store.metric_key_id("key/" + std::to_string(k)), step, 0, step);
        }
      });
      if (step % 4 == 0 && !writer.flush()) break;  // Many short transactions, as a run makes.
    }
    writer.flush();
    writer_error = writer.error();
    writing = false;
  });
  int reads = 0, locked = 0, torn = 0;
  size_t last_seen = 0;
  std::string other;
  while (writing || reads < kIterations) {
    try {
      // A fresh connection each time, as the window's loaders and `slimlab-cli list` make.
      RunStore reader(path, RunStore::Access::ReadOnly);
      auto rows = reader.metrics(id);
      if (rows.size() % kRowsPerStep != 0 || rows.size() < last_seen) ++torn;
      last_seen = rows.size();
      reader.list_runs();
    } catch (const StoreError& e) {
      std::string what = e.what();
      if (what.find("locked") != std::string::npos || what.find("busy") != std::string::npos) {
        ++locked;
      } else if (other.empty()) {
        other = what;
      }
    }
    ++reads;
  }
  writer_thread.join();
  EXPECT_EQ(writer_error, "");
  EXPECT_GE(reads, kIterations);
  EXPECT_EQ(locked, 0);
  EXPECT_EQ(torn, 0);
  EXPECT_EQ(other, "");
  EXPECT_EQ(RunStore(path, RunStore::Access::ReadOnly).metrics(id).size(),
            size_t(kIterations * kRowsPerStep));
}

TEST(RunStoreTest, FullDiskIsAClearErrorAndEverythingBeforeItStays) {
  TempDir dir;
  auto path = dir.file("runs.sqlite");
  int64_t id;
  {
    RunStore store(path, RunStore::Access::ReadWrite);
    id = store.create_run(sample_run("full"));
    auto key = store.metric_key_id("train/loss");
    for (int step = 1; step <= 100; ++step) store.add_metric(id, key, step, 0, 1.0 / step);
    store.add_checkpoint(id, 100, std::string(4096, 'c'));
  }
  {
    // The disk fills up: SQLite may not grow the file by more than a few pages.
    RunStore store(path, RunStore::Access::ReadWrite);
    SqliteStmt pages(store.db(), "PRAGMA page_count");
    ASSERT_TRUE(pages.step());
    store.db().exec("PRAGMA max_page_count = " + std::to_string(pages.integer(0) + 2));
    try {
      SqliteTransaction tx(store.db());
      store.add_checkpoint(id, 200, std::string(1 << 20, 'x'));  // 1 MB cannot fit.
      tx.commit();
      FAIL() << "a full disk was not reported";
    } catch (const StoreError& e) {
      std::string what = e.what();
      EXPECT_NE(what.find(path), std::string::npos) << what;
      EXPECT_NE(what.find("full"), std::string::npos) << what;
    }
    // The same connection goes on working for what still fits.
    store.add_metric(id, store.metric_key_id("train/loss"), 101, 0, 0.5);
  }
  RunStore after(path, RunStore::Access::ReadWrite);
  EXPECT_EQ(after.series(id, "train/loss").size(), 101u);
  auto checkpoint = after.latest_checkpoint(id);
  ASSERT_TRUE(checkpoint.has_value());
  EXPECT_EQ(checkpoint->step, 100);
  SqliteStmt check(after.db(), "PRAGMA integrity_check");
  ASSERT_TRUE(check.step());
  EXPECT_EQ(check.text(0), "ok");
}
