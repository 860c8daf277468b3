#pragma once
// What the parts of the Tune window (tune_window*.cpp) share: constants and small helpers.
#include <QSlider>
#include <QString>
#include <utility>
#include <vector>

#include "tune/sensitivity_curves.h"
#include "util/number_text.h"

namespace slimlab::tune_ui {

inline constexpr int kSamples = 2000;
inline constexpr int kFloatBits = 9;  // The bits slider's "float" end.
enum Control { kSparsity = 0, kRank = 1, kBits = 2 };

inline QString number(int64_t v) { return QString::fromStdString(thousands(v)); }

inline QString percent(double share) { return QString::number(100 * share, 'f', 2) + "%"; }

// Methods a budget fit may use, as the combo box lists them.
inline const std::vector<std::pair<QString, std::vector<TuneMethod>>>& fit_methods() {
  static const std::vector<std::pair<QString, std::vector<TuneMethod>>> kChoices = {
      {"prune", {TuneMethod::Prune}},
      {"lowrank", {TuneMethod::LowRank}},
      {"quant", {TuneMethod::Quant}},
      {"prune + quant", {TuneMethod::Prune, TuneMethod::Quant}},
      {"all three", {TuneMethod::Prune, TuneMethod::LowRank, TuneMethod::Quant}}};
  return kChoices;
}

inline QSlider* slider(QWidget* parent, int lo, int hi, int value, const QString& tip) {
  auto* s = new QSlider(Qt::Horizontal, parent);
  s->setRange(lo, hi);
  s->setValue(value);
  s->setToolTip(tip);
  s->setMinimumWidth(64);
  return s;
}

}  // namespace slimlab::tune_ui
