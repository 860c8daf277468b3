#include "experiment_library.h"

#include <QCoreApplication>
#include <QDir>
#include <QStandardPaths>

namespace slimlab {
namespace {

QString presets_dir() {
  QStringList candidates;
  if (qEnvironmentVariableIsSet("SLIMLAB_EXPERIMENTS")) {
    candidates << qEnvironmentVariable("SLIMLAB_EXPERIMENTS");
  }
  candidates << QCoreApplication::applicationDirPath() + "/../share/slimlab/experiments";
#ifdef SLIMLAB_SOURCE_DIR
  candidates << QString(SLIMLAB_SOURCE_DIR) + "/experiments";
#endif
  for (const auto& dir : candidates) {
    if (QDir(dir).exists()) return QDir(dir).canonicalPath();
  }
  return {};
}

}  // namespace

QString user_spec_dir() {
  return QStandardPaths::writableLocation(QStandardPaths::GenericDataLocation) +
         "/SlimLab/experiments";
}

std::vector<LibraryEntry> experiment_library() {
  std::vector<LibraryEntry> entries;
  const QString shipped = presets_dir();
  for (const auto& [dir, mine] : {std::pair{shipped, false}, std::pair{user_spec_dir(), true}}) {
    if (dir.isEmpty()) continue;
    for (const auto& info : QDir(dir).entryInfoList({"*.json"}, QDir::Files, QDir::Name)) {
      entries.push_back({info.completeBaseName() + (mine ? QObject::tr(" (mine)") : QString()),
                         info.absoluteFilePath()});
    }
  }
  return entries;
}

}  // namespace slimlab
