#pragma once

#include <QDialog>
#include <QString>
#include <vector>

#include "spec/experiment_spec.h"
#include "spec_form.h"

class QLabel;
class QPlainTextEdit;
class QPushButton;
class QTabWidget;

namespace slimlab {

/// Validates spec text as Start would: "" or the message naming the field. `file`: where the
/// text came from, whose directory its relative paths are read against (else the working
/// directory). `out` gets the spec with its paths made absolute. GUI thread (no disk but the
/// spec's own text).
QString spec_text_problem(const QString& text, ExperimentSpec* out, const QString& file = {});

/// The spec editor: the spec as a form and as JSON, both validated at every edit, with Start
/// and Save as preset. Start closes it only for a spec that reads and whose run references
/// (teachers, the run to prune) name finished runs of the store; any other problem keeps it
/// open with the edits, the message below and the field outlined.
///   SpecDialog dialog(tr("Edit"), text, finished_runs, this);
///   if (dialog.exec() == QDialog::Accepted) controller->enqueue(dialog.spec());
class SpecDialog : public QDialog {
  Q_OBJECT
 public:
  /// `finished`: the store's finished runs, offered and checked for fields that name a run.
  SpecDialog(const QString& title, const QString& text, std::vector<FinishedRun> finished,
             QWidget* parent = nullptr);

  /// The text of whichever page is in front (the form's spec as JSON, or the JSON as typed).
  QString text() const;
  /// Shows a problem found outside (a start the run controller refused): the message below
  /// the pages and, on the form, the field it names outlined.
  void showProblem(const QString& message);
  /// The message below the pages ("" when the spec can start).
  QString problem() const;
  /// The spec Start accepted, its paths absolute; valid once exec() returned Accepted.
  const ExperimentSpec& spec() const { return spec_; }

  SpecForm* form() const { return form_; }
  QPlainTextEdit* jsonEditor() const { return editor_; }
  QTabWidget* pages() const { return pages_; }
  QPushButton* startButton() const { return start_; }
  QPushButton* saveButton() const { return save_; }

 public Q_SLOTS:
  /// Start: accepts only a spec that can start; otherwise says why and stays open.
  void tryStart();

 private:
  /// "" or what keeps the current text from starting (`out` gets the spec when it can).
  QString check(ExperimentSpec* out) const;
  void validate();
  bool toForm();

  std::vector<FinishedRun> finished_;
  QTabWidget* pages_;
  SpecForm* form_;
  QPlainTextEdit* editor_;
  QLabel* problem_;
  QPushButton* start_;
  QPushButton* save_;
  ExperimentSpec spec_;
};

}  // namespace slimlab
