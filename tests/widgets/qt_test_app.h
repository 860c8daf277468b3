#pragma once

#include <QApplication>

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

}  // namespace slimlab::testing
