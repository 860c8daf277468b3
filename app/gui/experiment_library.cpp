#include "experiment_library.h"

#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QStandardPaths>
#include <nlohmann/json.hpp>

namespace slimlab {
namespace {

// What each shipped preset is for and how long it takes. The spec reader refuses unknown
// fields, so this lives here rather than in the presets. Times: wall time of
// `slimlab-cli --db X run experiments/NAME.json --quiet` on the project's 2-core VM
// (2026-12-01; the low-rank and quantisation presets measured whole on 2026-12-02, after the
// run they start from: lowrank-mlp 5.1 s, lowrank-cnn 46.9 s, quant-int8 3.9 s, quant-qat-4bit
// 7.0 s, quant-mixed 6.4 s). Measured whole: mlp-spirals 2.3 s, moe-spirals 4.6 s,
// moe-collapse 15.7 s, moe-fashion-top2 at most 34 s. The others: one epoch measured (--set
// schedule.epochs=1), less about 2.5 s of start-up, times the preset's epochs; a distillation adds
// its teacher's outputs (about 26 s for the CNN teacher, measured). Two identical runs differed by
// up to 2x while other work shared the cores, hence "about".
struct PresetInfo {
  const char* name;
  const char* description;
  const char* runtime;
};

const PresetInfo kPresets[] = {
    {"cnn-fashion",
     QT_TRANSLATE_NOOP("Library",
                       "LeNet-style CNN on Fashion-MNIST (about 91%); the teacher "
                       "of the CNN distillation presets."),
     QT_TRANSLATE_NOOP("Library", "about 2 min")},
    {"kd-cnn-to-mlp",
     QT_TRANSLATE_NOOP("Library", "Distils the CNN into a 784-64-10 MLP (T = 4, alpha 0.7)."),
     QT_TRANSLATE_NOOP("Library", "about 1 min")},
    {"kd-hinton",
     QT_TRANSLATE_NOOP("Library",
                       "Hinton's recipe: a 1200-1200 MLP teacher at T = 20 into a "
                       "128-unit MLP."),
     QT_TRANSLATE_NOOP("Library", "about 45 s")},
    {"kd-moe-to-dense",
     QT_TRANSLATE_NOOP("Library",
                       "Distils the top-2 mixture of experts into a small "
                       "dense MLP."),
     QT_TRANSLATE_NOOP("Library", "about 40 s")},
    {"kd-two-teachers",
     QT_TRANSLATE_NOOP("Library",
                       "Two teachers (CNN 0.7, MLP 0.3), temperature 4 to 2 "
                       "on a cosine schedule."),
     QT_TRANSLATE_NOOP("Library", "about 1 min")},
    {"kd-vit-to-cnn",
     QT_TRANSLATE_NOOP("Library",
                       "Distils the tiny Vision Transformer into a 4-8 channel "
                       "CNN."),
     QT_TRANSLATE_NOOP("Library", "about 1 min")},
    {"lowrank-cnn",
     QT_TRANSLATE_NOOP("Library",
                       "The CNN's second convolution and fc layer factorised to a quarter of "
                       "their parameters by truncated SVD, then fine-tuned."),
     QT_TRANSLATE_NOOP("Library", "about 50 s")},
    {"lowrank-mlp",
     QT_TRANSLATE_NOOP("Library",
                       "mlp-fashion's hidden layers factorised to a quarter of their "
                       "parameters (ranks 48 and 21), then fine-tuned."),
     QT_TRANSLATE_NOOP("Library", "about 5 s")},
    {"mlp-1200-teacher",
     QT_TRANSLATE_NOOP("Library",
                       "A large 1200-1200 MLP with dropout 0.3: the teacher "
                       "of kd-hinton."),
     QT_TRANSLATE_NOOP("Library", "about 4 min")},
    {"mlp-fashion",
     QT_TRANSLATE_NOOP("Library", "The baseline: a 256-128 MLP on Fashion-MNIST (about 89%)."),
     QT_TRANSLATE_NOOP("Library", "about 30 s")},
    {"mlp-spirals",
     QT_TRANSLATE_NOOP("Library",
                       "A 64-64 MLP on two 2-D spirals: the quickest first run; "
                       "see the Plane tab."),
     QT_TRANSLATE_NOOP("Library", "about 3 s")},
    {"moe-collapse",
     QT_TRANSLATE_NOOP("Library",
                       "Switch routing without balancing losses: watch experts "
                       "die (router collapse)."),
     QT_TRANSLATE_NOOP("Library", "about 15 s")},
    {"moe-fashion-dense",
     QT_TRANSLATE_NOOP("Library",
                       "A mixture with one expert: the dense baseline of the "
                       "MoE presets and the start of moe-upcycle."),
     QT_TRANSLATE_NOOP("Library", "about 35 s")},
    {"moe-fashion-switch",
     QT_TRANSLATE_NOOP("Library",
                       "8 experts, top-1 (Switch) routing, capacity 1.25, "
                       "balance and z losses."),
     QT_TRANSLATE_NOOP("Library", "about 1 min")},
    {"moe-fashion-top2",
     QT_TRANSLATE_NOOP("Library",
                       "8 experts, top-2 routing: the experts specialise by "
                       "class (Experts tab)."),
     QT_TRANSLATE_NOOP("Library", "about 35 s")},
    {"moe-spirals",
     QT_TRANSLATE_NOOP("Library",
                       "4 Switch experts on 2-D spirals: the Plane tab shows which "
                       "expert takes which region."),
     QT_TRANSLATE_NOOP("Library", "about 5 s")},
    {"moe-upcycle",
     QT_TRANSLATE_NOOP("Library",
                       "Copies the one-expert run into 8 experts (sparse "
                       "upcycling) and trains on for 3 epochs."),
     QT_TRANSLATE_NOOP("Library", "about 20 s")},
    {"prune-cnn-channels",
     QT_TRANSLATE_NOOP("Library",
                       "Removes half of the CNN's channels and units by L1 "
                       "norm (AGP), then shrinks it for real."),
     QT_TRANSLATE_NOOP("Library", "about 2.5 min")},
    {"prune-experts",
     QT_TRANSLATE_NOOP("Library",
                       "Drops the 4 least-loaded of 8 experts after 5 epochs, "
                       "then fine-tunes."),
     QT_TRANSLATE_NOOP("Library", "about 40 s")},
    {"prune-lenet300-agp",
     QT_TRANSLATE_NOOP("Library",
                       "LeNet-300-100 pruned to 90% sparsity by global "
                       "magnitude on an AGP schedule."),
     QT_TRANSLATE_NOOP("Library", "about 30 s")},
    {"prune-nm-2-4",
     QT_TRANSLATE_NOOP("Library",
                       "2:4 sparsity (2 of every 4 weights kept) from epoch 5 "
                       "of 10."),
     QT_TRANSLATE_NOOP("Library", "about 25 s")},
    {"prune-sensitivity",
     QT_TRANSLATE_NOOP("Library",
                       "Prunes each layer of LeNet-300-100 alone at 0-95%: "
                       "which layers tolerate it."),
     QT_TRANSLATE_NOOP("Library", "about 30 s")},
    {"quant-int8",
     QT_TRANSLATE_NOOP("Library",
                       "mlp-fashion's weights at 8 bits per channel: post-training "
                       "quantised, then one epoch quantisation-aware."),
     QT_TRANSLATE_NOOP("Library", "about 5 s")},
    {"quant-mixed",
     QT_TRANSLATE_NOOP("Library",
                       "Mixed precision: mlp-fashion's first and last layers at 8 bits, the "
                       "middle ones at 2, trained quantisation-aware."),
     QT_TRANSLATE_NOOP("Library", "about 7 s")},
    {"quant-qat-4bit",
     QT_TRANSLATE_NOOP("Library",
                       "mlp-fashion's weights at 4 bits (MSE-clipped ranges), trained "
                       "quantisation-aware for 3 epochs."),
     QT_TRANSLATE_NOOP("Library", "about 7 s")},
    {"vit-fashion",
     QT_TRANSLATE_NOOP("Library",
                       "A tiny Vision Transformer (patch 7, width 64, 2 blocks); "
                       "the teacher of kd-vit-to-cnn."),
     QT_TRANSLATE_NOOP("Library", "about 4.5 min")},
};

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

// What the spec in `path` reads from elsewhere: teacher runs and files, the upcycled run.
QString needs_of(const QString& path) {
  QFile file(path);
  if (!file.open(QIODevice::ReadOnly)) return {};
  const auto spec = nlohmann::json::parse(file.readAll().toStdString(), nullptr, false);
  if (!spec.is_object()) return {};
  QStringList runs, files;
  auto text = [](const nlohmann::json& j) { return QString::fromStdString(j.get<std::string>()); };
  const auto distill = spec.value("distill", nlohmann::json::object());
  for (const auto& teacher : distill.value("teachers", nlohmann::json::array())) {
    if (!teacher.is_object()) continue;
    if (teacher.contains("run") && teacher["run"].is_string()) runs << text(teacher["run"]);
    for (const char* key : {"torchscript", "safetensors"}) {
      if (teacher.contains(key) && teacher[key].is_string()) files << text(teacher[key]);
    }
  }
  const auto model = spec.value("model", nlohmann::json::object());
  if (model.is_object() && model.contains("upcycle_from") && model["upcycle_from"].is_string()) {
    runs << text(model["upcycle_from"]);
  }
  // Any method that compresses a finished run (prune, lowrank, quant) names it in from_run.
  for (const auto& item : spec.items()) {
    const auto& section = item.value();
    if (section.is_object() && section.contains("from_run") && section["from_run"].is_string() &&
        !section["from_run"].get<std::string>().empty()) {
      runs << text(section["from_run"]);
    }
  }
  auto list = [](QStringList names) {
    const QString last = names.takeLast();
    return names.isEmpty()
               ? last
               : QCoreApplication::translate("Library", "%1 and %2").arg(names.join(", "), last);
  };
  QStringList needs;
  if (runs.size() == 1) {
    needs << QCoreApplication::translate("Library", "a finished run named %1").arg(runs[0]);
  } else if (runs.size() > 1) {
    needs << QCoreApplication::translate("Library", "finished runs named %1").arg(list(runs));
  }
  if (!files.isEmpty()) {
    needs << QCoreApplication::translate("Library", "the teacher file(s) %1").arg(list(files));
  }
  return needs.join(", ");
}

}  // namespace

QString LibraryEntry::summary() const {
  QString text = QString("<b>%1</b>: %2").arg(title.toHtmlEscaped(), description.toHtmlEscaped());
  QStringList facts;
  if (!runtime.isEmpty()) {
    facts << QCoreApplication::translate("Library", "Runs %1 on a 2-core PC").arg(runtime);
  }
  facts << (needs.isEmpty() ? QCoreApplication::translate("Library", "needs nothing first")
                            : QCoreApplication::translate("Library", "needs first: %1")
                                  .arg(needs.toHtmlEscaped()));
  return text + "<br>" + facts.join("; ") + ".";
}

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
      LibraryEntry entry;
      entry.title = info.completeBaseName() + (mine ? QObject::tr(" (mine)") : QString());
      entry.path = info.absoluteFilePath();
      entry.needs = needs_of(entry.path);
      if (mine) {
        entry.description = QCoreApplication::translate("Library", "A spec you saved.");
      }
      for (const auto& preset : kPresets) {
        if (mine || info.completeBaseName() != preset.name) continue;
        entry.description = QCoreApplication::translate("Library", preset.description);
        entry.runtime = QCoreApplication::translate("Library", preset.runtime);
      }
      entries.push_back(entry);
    }
  }
  return entries;
}

}  // namespace slimlab
