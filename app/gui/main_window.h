#pragma once

#include <QMainWindow>
#include <QString>

class QListWidget;
class QLabel;

namespace slimlab {

class LossPlot;

/// SlimLab's workbench window. For now: the runs of one store and the loss / accuracy curves
/// of the selected run. The experiment form, live runs and comparisons come with the GUI issue.
class MainWindow : public QMainWindow {
  Q_OBJECT
 public:
  explicit MainWindow(QString storePath, QWidget* parent = nullptr);

  /// Re-reads the run list from the store.
  void reloadRuns();
  /// Selects a run by id and shows its curves.
  void showRun(qint64 runId);

 private:
  void openStore();
  void fillRunList();

  QString storePath_;
  QListWidget* runList_;
  LossPlot* lossPlot_;
  QLabel* storeLabel_;
};

}  // namespace slimlab
