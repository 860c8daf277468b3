// slimlab: the workbench window.
#include <QApplication>
#include <QCommandLineParser>
#include <QSettings>
#include <QTimer>
#include <cstdio>

#include "main_window.h"
#include "train/runtime.h"
#include "util/paths.h"

int main(int argc, char** argv) {
  slimlab::limit_interop_threads();
  QApplication app(argc, argv);
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
  parser.addOptions({db, screenshot, screenshots, run, compare, start, size});
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
  if (store.isEmpty()) {
    store = QSettings()
                .value("store/last", QString::fromStdString(slimlab::default_store_path()))
                .toString();
  }
  slimlab::MainWindow window(store);
  window.show();
  // Started from the event loop, so an invalid spec's message box has a window to sit on.
  for (const auto& file : parser.values(start)) {
    QTimer::singleShot(0, &window, [&window, file] { window.startSpecFile(file); });
  }
  if (parser.isSet(compare) && parser.isSet(screenshot)) {
    std::vector<qint64> ids;
    for (const auto& id : parser.value(compare).split(',')) ids.push_back(id.toLongLong());
    window.saveCompareScreenshot(
        parser.value(screenshot), ids, [] { QApplication::quit(); }, windowSize);
  } else if (parser.isSet(screenshots)) {
    window.saveTabScreenshots(
        parser.value(screenshots), parser.value(run).toLongLong(), [] { QApplication::quit(); },
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
