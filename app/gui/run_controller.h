#pragma once

#include <QObject>
#include <QString>

#include <deque>
#include <functional>
#include <memory>
#include <thread>

#include "live_run.h"
#include "spec/experiment_spec.h"

namespace slimlab {

/// Runs experiments one after another on a worker thread (LibTorch's default generator is
/// process-wide, so one trainer trains at a time) while the GUI stays responsive. Queued specs
/// wait their turn; pause, resume and stop act between batches.
class RunController : public QObject {
  Q_OBJECT
 public:
  explicit RunController(QObject* parent = nullptr);
  ~RunController() override;

  void setStorePath(const QString& path) { storePath_ = path; }
  /// Called with the message when this spec's start is refused (GUI thread, after `refused`).
  using OnRefused = std::function<void(const QString& message)>;
  /// Starts `spec` now, or after the runs before it; `onRefused` hears of this spec's refusal
  /// only (several queued specs may share a name).
  void enqueue(const ExperimentSpec& spec, OnRefused onRefused = {});
  void pause();
  void resume();
  /// Stops the current run between batches (it is kept as cancelled) and drops the queue.
  void stop();
  bool busy() const { return worker_.joinable(); }
  bool paused() const { return control_ && control_->pause.load(); }
  int queued() const { return int(queue_.size()); }
  LiveRun& live() { return live_; }
  /// The spec of the run that trains now (or trained last). GUI thread.
  const ExperimentSpec& current() const { return current_; }

 Q_SIGNALS:
  /// A run exists in the store and trains now.
  void started(const QString& name);
  /// The run ended: finished, cancelled, diverged or failed (`message` says why).
  void finished(qint64 runId, const QString& status, const QString& message);
  /// The spec could not start (bad layer names, missing teacher run, ...): nothing was stored.
  /// `answered`: the spec's own OnRefused takes the message (the editor reopens with it), so
  /// nothing else need show it.
  void refused(const QString& name, const QString& message, bool answered);

 private:
  void startNext();
  void onWorkerDone(qint64 runId, const QString& status, const QString& message, bool refused,
                    const QString& name);

  QString storePath_;
  std::deque<std::pair<ExperimentSpec, OnRefused>> queue_;
  ExperimentSpec current_;
  OnRefused currentOnRefused_;
  std::thread worker_;
  std::unique_ptr<RunControl> control_;
  LiveRun live_;
};

}  // namespace slimlab
