#pragma once

#include <QApplication>
#include <QElapsedTimer>
#include <QThread>

namespace slimlab::testing {

/// One QApplication for the test process, offscreen unless the caller chose a platform (Xvfb).
inline QApplication& qt_app() {
  static int argc = 1;
  static char name[] = "slimlab-tests";
  static char* argv[] = {name, nullptr};
  if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM")) qputenv("QT_QPA_PLATFORM", "offscreen");
  // Never destroyed: a static QApplication would be torn down after Qt's own globals at exit.
  static auto* app = new QApplication(argc, argv);
  return *app;
}

/// Runs the event loop until `done()` holds or `seconds` pass; true when it held.
template <typename Done>
bool pump_until(Done done, double seconds) {
  QElapsedTimer clock;
  clock.start();
  while (!done() && clock.elapsed() < seconds * 1000) {
    QApplication::processEvents(QEventLoop::AllEvents, 20);
    QThread::msleep(5);
  }
  return done();
}

}  // namespace slimlab::testing
