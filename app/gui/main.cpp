// slimlab: the workbench window.
#include <QApplication>
#include <QCommandLineParser>
#include <QFileInfo>
#include <QSettings>
#include <QTimer>
#include <cstdio>
#include <memory>
#include <optional>

#include "main_window.h"
#include "store/run_store.h"
#include "train/runtime.h"
#include "tune_window.h"
#include "util/paths.h"

namespace {

// --help and --version need no display: answered by a QCoreApplication, so they work on a
// headless machine (a QApplication there aborts when no platform plugin can start).
bool asks_for_help(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    const QString a = QString::fromLocal8Bit(argv[i]);
    if (a == "-h" || a == "--help" || a == "--help-all" || a == "-v" || a == "--version") {
      return true;
    }
  }
  return false;
}

// "" when `path` is absent (the first run creates it) or a SlimLab store; else why not.
QString store_problem(const QString& path) {
  if (!QFileInfo::exists(path)) return {};
  try {
    slimlab::RunStore check(path.toStdString(), slimlab::RunStore::Access::ReadOnly);
  } catch (const std::exception& e) {
    return QString::fromStdString(e.what());
  }
  return {};
}

}  // namespace

int main(int argc, char** argv) {
  slimlab::limit_interop_threads();
  std::unique_ptr<QCoreApplication> application;
  if (asks_for_help(argc, argv)) {
    application = std::make_unique<QCoreApplication>(argc, argv);
  } else {
    application = std::make_unique<QApplication>(argc, argv);
  }
  QCoreApplication& app = *application;
  QApplication::setOrganizationName("SlimLab");
  QApplication::setApplicationName("SlimLab");
  QApplication::setApplicationVersion("0.1.0");

  QCommandLineParser parser;
  parser.setApplicationDescription("SlimLab: a workbench for model-compression experiments");
  parser.addHelpOption();
  parser.addVersionOption();
  QCommandLineOption db("db", "The run store to open.", "FILE");
  QCommandLineOption screenshot("screenshot", "Save the window as PNG to FILE and quit.", "FILE");
  QCommandLineOption screenshots(
      "screenshots",
      "Save every tab of run --run (without --run: the store as it opens) as DIR/<tab>.png and "
      "quit.",
      "DIR");
  QCommandLineOption run("run", "The run to show (with --screenshots).", "ID");
  QCommandLineOption size("size",
                          "Window size for --screenshots and --compare, e.g. 1024x700 "
                          "(default 1360x820).",
                          "WxH", "1360x820");
  QCommandLineOption compare("compare",
                             "Compare runs ID,ID,... and save the Compare tab as FILE "
                             "(with --screenshot).",
                             "IDS");
  QCommandLineOption start("start",
                           "Start the experiment in FILE (a preset or a saved spec) once the "
                           "window is open; repeat to queue several.",
                           "FILE");
  QCommandLineOption tune("tune",
                          "Open a Tune window on run ID; with --screenshot, save it as FILE once "
                          "its sensitivity curves are drawn, and quit.",
                          "ID");
  QCommandLineOption fit("fit",
                         "With --tune: fit this budget once the sensitivity curves are in, e.g. "
                         "params=0.25 (bytes=, macs=).",
                         "AXIS=SHARE");
  parser.addOptions({db, screenshot, screenshots, run, compare, start, size, tune, fit});
  parser.process(app);
  const QStringList wh = parser.value(size).split('x');
  const QSize windowSize(wh.value(0).toInt(), wh.value(1).toInt());
  if (wh.size() != 2 || windowSize.width() < 320 || windowSize.height() < 240) {
    std::fprintf(stderr,
                 "--size: expected WIDTHxHEIGHT of at least 320x240, e.g. 1024x700; "
                 "got \"%s\"\n",
                 qPrintable(parser.value(size)));
    return 2;
  }

  QString store = parser.value(db);
  if (!store.isEmpty()) {
    if (auto problem = store_problem(store); !problem.isEmpty()) {
      std::fprintf(stderr, "slimlab: --db %s: %s\n", qPrintable(store), qPrintable(problem));
      return 2;
    }
  } else {
    const QString fallback = QString::fromStdString(slimlab::default_store_path());
    store = QSettings().value("store/last", fallback).toString();
    if (auto problem = store_problem(store); !problem.isEmpty()) {
      // The last store went bad since: start on the default one rather than not at all.
      std::fprintf(stderr, "slimlab: the last store %s cannot be opened (%s); opening %s\n",
                   qPrintable(store), qPrintable(problem), qPrintable(fallback));
      store = fallback;
    }
  }
  slimlab::MainWindow window(store);
  window.show();
  // Started from the event loop, so an invalid spec's message box has a window to sit on.
  for (const auto& file : parser.values(start)) {
    QTimer::singleShot(0, &window, [&window, file] { window.startSpecFile(file); });
  }
  // Pictures made, or one clear line and exit status 1 when they cannot be.
  auto finished = [](const QString& error) {
    if (error.isEmpty()) {
      QApplication::quit();
    } else {
      std::fprintf(stderr, "slimlab: %s\n", qPrintable(error));
      QApplication::exit(1);
    }
  };
  if (parser.isSet(tune)) {
    auto* tuning = window.openTune(parser.value(tune));
    tuning->resize(windowSize);
    std::optional<slimlab::Budget> budget;
    if (parser.isSet(fit)) {
      try {
        budget = slimlab::parse_budget(parser.value(fit).toStdString(), "--fit");
      } catch (const std::exception& e) {
        std::fprintf(stderr, "slimlab: %s\n", e.what());
        return 2;
      }
    }
    // The picture waits for what it is meant to show: the curves, and the fitted plan's figures.
    auto grab = [tuning, path = parser.value(screenshot)] {
      if (path.isEmpty()) return;
      QTimer::singleShot(800, tuning, [tuning, path] {
        tuning->grab().save(path);
        QApplication::quit();
      });
    };
    if (parser.isSet(screenshot)) {
      QObject::connect(tuning, &slimlab::TuneWindow::problem, &window,
                       [finished](const QString& text) { finished(text); });
    }
    QObject::connect(tuning, &slimlab::TuneWindow::curvesDone, &window, [tuning, budget, grab] {
      if (!budget) return grab();
      tuning->fitBudget(budget->axis, budget->fraction);
      QObject::connect(tuning, &slimlab::TuneWindow::budgetFitted, tuning, [tuning, grab] {
        QObject::connect(tuning, &slimlab::TuneWindow::metricsShown, tuning, grab);
      });
    });
  } else if (parser.isSet(compare) && parser.isSet(screenshot)) {
    std::vector<qint64> ids;
    for (const auto& id : parser.value(compare).split(',')) ids.push_back(id.toLongLong());
    window.saveCompareScreenshot(parser.value(screenshot), ids, finished, windowSize);
  } else if (parser.isSet(screenshots)) {
    window.saveTabScreenshots(parser.value(screenshots), parser.value(run).toLongLong(), finished,
                              windowSize);
  } else if (parser.isSet(screenshot)) {
    // Grab once the event loop has laid the window out and the queued replots have run.
    QTimer::singleShot(1500, &window, [&window, path = parser.value(screenshot)] {
      window.grab().save(path);
      QApplication::quit();
    });
  }
  return app.exec();
}
