// How a run's cost is named and written: the definitions the run table, the Pareto axis and the
// hover texts share (the same counts as slimlab-cli show --layers).
#include <QLocale>
#include <QObject>

#include "run_table.h"

namespace slimlab {

QString paramsDefinition(CostBasis basis) {
  switch (basis) {
    case CostBasis::NonZero:
      return QObject::tr("non-zero parameters");
    case CostBasis::Physical:
      return QObject::tr("parameters of the shrunk network");
    case CostBasis::Active:
      return QObject::tr("active parameters (k of E experts)");
    case CostBasis::Dense:
      break;
  }
  return QObject::tr("parameters");
}

QString macsDefinition(CostBasis basis) {
  switch (basis) {
    case CostBasis::NonZero:
      return QObject::tr("effective MACs per sample");
    case CostBasis::Physical:
      return QObject::tr("MACs per sample of the shrunk network");
    case CostBasis::Active:
      return QObject::tr("active MACs per sample (k of E experts)");
    case CostBasis::Dense:
      break;
  }
  return QObject::tr("MACs per sample");
}

QString bytesDefinition(CostBasis basis) {
  switch (basis) {
    case CostBasis::NonZero:
      return QObject::tr("weight bytes, CSR of the non-zero weights");
    case CostBasis::Physical:
      return QObject::tr("weight bytes of the shrunk network");
    case CostBasis::Active:
      return QObject::tr("weight bytes (all experts)");
    case CostBasis::Dense:
      break;
  }
  return QObject::tr("weight bytes (fp32)");
}

QString costBasisRuns(CostBasis basis) {
  switch (basis) {
    case CostBasis::NonZero:
      return QObject::tr("pruned runs");
    case CostBasis::Physical:
      return QObject::tr("shrunk runs");
    case CostBasis::Active:
      return QObject::tr("MoE runs");
    case CostBasis::Dense:
      break;
  }
  return QObject::tr("dense runs");
}

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
