// How a run's cost is named and written: the definitions the run table, the Pareto axis and the
// hover texts share (the same counts as slimlab-cli show --layers).
#include <QCoreApplication>
#include <QLocale>
#include <QObject>

#include "run_table.h"

namespace slimlab {

namespace {

// What each figure is called under one cost basis, and the runs counted that way.
struct CostWords {
  const char* params;
  const char* macs;
  const char* bytes;
  const char* runs;
};

const CostWords& words(CostBasis basis) {
  static const CostWords kDense{QT_TRANSLATE_NOOP("RunCost", "parameters"),
                                QT_TRANSLATE_NOOP("RunCost", "MACs per sample"),
                                QT_TRANSLATE_NOOP("RunCost", "weight bytes (fp32)"),
                                QT_TRANSLATE_NOOP("RunCost", "dense runs")};
  static const CostWords kNonZero{
      QT_TRANSLATE_NOOP("RunCost", "non-zero parameters"),
      QT_TRANSLATE_NOOP("RunCost", "effective MACs per sample"),
      QT_TRANSLATE_NOOP("RunCost", "weight bytes, CSR of the non-zero weights"),
      QT_TRANSLATE_NOOP("RunCost", "pruned runs")};
  static const CostWords kPhysical{
      QT_TRANSLATE_NOOP("RunCost", "parameters of the shrunk network"),
      QT_TRANSLATE_NOOP("RunCost", "MACs per sample of the shrunk network"),
      QT_TRANSLATE_NOOP("RunCost", "weight bytes of the shrunk network"),
      QT_TRANSLATE_NOOP("RunCost", "shrunk runs")};
  static const CostWords kActive{
      QT_TRANSLATE_NOOP("RunCost", "active parameters (k of E experts)"),
      QT_TRANSLATE_NOOP("RunCost", "active MACs per sample (k of E experts)"),
      QT_TRANSLATE_NOOP("RunCost", "weight bytes (all experts)"),
      QT_TRANSLATE_NOOP("RunCost", "MoE runs")};
  switch (basis) {
    case CostBasis::NonZero:
      return kNonZero;
    case CostBasis::Physical:
      return kPhysical;
    case CostBasis::Active:
      return kActive;
    case CostBasis::Dense:
      break;
  }
  return kDense;
}

QString translated(const char* text) { return QCoreApplication::translate("RunCost", text); }

}  // namespace

QString paramsDefinition(CostBasis basis) { return translated(words(basis).params); }
QString macsDefinition(CostBasis basis) { return translated(words(basis).macs); }
QString bytesDefinition(CostBasis basis) { return translated(words(basis).bytes); }
QString costBasisRuns(CostBasis basis) { return translated(words(basis).runs); }

QString groupedCount(qint64 count) {
  // The C locale, with its "," separator switched on: the same text on every machine.
  QLocale locale = QLocale::c();
  locale.setNumberOptions(locale.numberOptions() & ~QLocale::OmitGroupSeparator);
  return locale.toString(count);
}

QString costText(qint64 effective, qint64 dense) {
  if (dense <= 0 || effective == dense) return groupedCount(effective);
  return QObject::tr("%1 of %2").arg(groupedCount(effective), groupedCount(dense));
}

}  // namespace slimlab
