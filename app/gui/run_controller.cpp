#include "run_controller.h"

#include <QMetaObject>
#include <QTimer>

#include "store/sqlite.h"
#include "train/run_session.h"
#include "util/input_error.h"

namespace slimlab {

RunController::RunController(QObject* parent) : QObject(parent) {}

RunController::~RunController() {
  queue_.clear();
  if (control_) control_->stop = true;
  if (worker_.joinable()) worker_.join();
}

void RunController::enqueue(const ExperimentSpec& spec, OnRefused onRefused) {
  queue_.emplace_back(spec, std::move(onRefused));
  if (!busy()) startNext();
}

void RunController::pause() {
  if (control_) control_->pause = true;
}

void RunController::resume() {
  if (control_) control_->pause = false;
}

void RunController::stop() {
  queue_.clear();
  if (control_) control_->stop = true;
}

void RunController::startNext() {
  if (queue_.empty() || busy()) return;
  ExperimentSpec spec = queue_.front().first;
  currentOnRefused_ = std::move(queue_.front().second);
  queue_.pop_front();
  current_ = spec;
  control_ = std::make_unique<RunControl>();
  live_.reset();
  const std::string store = storePath_.toStdString();
  RunControl* control = control_.get();
  worker_ = std::thread([this, spec, store, control] {
    qint64 id = 0;
    QString status, message;
    bool refused = false;
    try {
      // The GUI learns the run id from the first records (LiveRun::on_start).
      QMetaObject::invokeMethod(
          this, [this, name = QString::fromStdString(spec.name)] { Q_EMIT started(name); });
      auto outcome = run_experiment(spec, store, live_, *control);
      id = outcome.run_id;
      status = QString::fromLatin1(status_name(outcome.result.status));
      message = QString::fromStdString(outcome.error);
    } catch (const std::exception& e) {
      // InputError / StoreError: raised before the run was created, so nothing is stored.
      refused = true;
      message = QString::fromStdString(e.what());
    }
    QMetaObject::invokeMethod(this, [=, name = QString::fromStdString(spec.name)] {
      onWorkerDone(id, status, message, refused, name);
    });
  });
}

void RunController::onWorkerDone(qint64 runId, const QString& status, const QString& message,
                                 bool refusedRun, const QString& name) {
  if (worker_.joinable()) worker_.join();
  control_.reset();
  if (refusedRun) {
    auto onRefused = std::move(currentOnRefused_);
    Q_EMIT refused(name, message, bool(onRefused));
    if (onRefused) onRefused(message);
  } else {
    Q_EMIT finished(runId, status, message);
  }
  startNext();
}

}  // namespace slimlab
