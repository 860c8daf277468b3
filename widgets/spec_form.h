#pragma once

#include <QString>
#include <QWidget>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

class QVBoxLayout;

namespace slimlab {

struct FieldInfo;

/// A finished run of the open store, as the form offers it for fields that name a run (a
/// distillation teacher, the run to prune): FieldInfo::names_run.
struct FinishedRun {
  qint64 id = 0;
  QString name;
};

/// "" when every field of `spec` that names a run names one of `runs` (by name or id; a
/// uuid prefix is left to the start, which resolves it); else a message that starts with the
/// field's path, as the spec reader's do: "distill.teachers[0].run: no finished run ...".
/// An invalid spec gives "" (the reader's own message comes first).
QString unknown_run_problem(const nlohmann::json& spec, const std::vector<FinishedRun>& runs);

/// An experiment spec as a form, generated from what the spec reader asks for (spec_fields):
/// one group per section, an editor per field with its range or choices and a tooltip that
/// explains it (with the formula where there is one), and tick boxes that add or remove the
/// distillation and pruning sections. Every edit is validated at once; an
/// invalid field is outlined and carries the message. Choosing another model kind, criterion
/// or gate rebuilds the form, since the fields depend on it; only the fields that apply to the
/// current choices are shown and written (no 2-D data fields for Fashion-MNIST).
/// The form never changes a value by itself: the mouse wheel moves only the focused editor
/// (over any other it scrolls the form), and fields nobody set keep the reader's defaults.
///   SpecForm form;
///   form.setSpec(json);            // any valid spec; defaults are filled in
///   if (form.valid()) start(form.spec());
class SpecForm : public QWidget {
  Q_OBJECT
 public:
  explicit SpecForm(QWidget* parent = nullptr);
  /// Shows `spec` (throws InputError when it is invalid).
  void setSpec(const nlohmann::json& spec);
  /// The store's finished runs: fields that name a run become editable drop-downs of them, and
  /// naming any other run is a problem of that field. Not called: run names are not checked.
  void setFinishedRuns(std::vector<FinishedRun> runs);
  /// Outlines the field a message from outside names (a refused start: "distill.teachers[0].run:
  /// ...") and shows the message, until the next edit.
  void showProblem(const QString& message);
  /// The spec as edited (complete, with every default).
  nlohmann::json spec() const;
  bool valid() const { return problem_.isEmpty(); }
  /// The first problem ("prune.sparsity: must be ...") or "".
  const QString& problem() const { return problem_; }
  /// The editor of a field, by path ("prune.sparsity"), or null.
  QWidget* editor(const std::string& path) const;

 Q_SIGNALS:
  void validityChanged(bool valid, const QString& problem);

 private:
  void build();
  void validate();
  /// Outlines the editor whose path `message` starts with; every other editor shows its help.
  void markField(const QString& message);
  /// An editor for `f` showing `value`; `range` gets the allowed values for the tooltip.
  /// (spec_form_fields.cpp)
  QWidget* makeEditor(const FieldInfo& f, const nlohmann::json& value, QWidget* parent,
                      QString* range);
  void onChoice(const std::string& path);
  nlohmann::json valueOf(const std::string& path) const;

  QVBoxLayout* layout_;
  QWidget* body_ = nullptr;
  nlohmann::json spec_;
  std::map<std::string, QWidget*> editors_;
  std::map<std::string, int> kinds_;     ///< FieldInfo::Kind by path.
  std::map<std::string, QString> help_;  ///< Each editor's own tooltip.
  /// What each editor showed when built (the reader's default) for fields the spec does not
  /// hold: written back only when the user changed it, so the form never invents a value.
  std::map<std::string, nlohmann::json> unset_;
  std::vector<FinishedRun> runs_;
  bool checkRuns_ = false;         ///< setFinishedRuns was called.
  QObject* wheelGuard_ = nullptr;  ///< Keeps the wheel off unfocused editors.
  QString problem_;
  bool building_ = false;
};

/// Sets the value at a field path ("a.b[2].c") inside `j`, creating objects on the way.
void set_json_path(nlohmann::json& j, const std::string& path, const nlohmann::json& value);
/// The value at a field path, or null.
nlohmann::json get_json_path(const nlohmann::json& j, const std::string& path);

}  // namespace slimlab
