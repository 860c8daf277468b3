#pragma once

#include <QString>
#include <QWidget>
#include <map>
#include <nlohmann/json.hpp>
#include <string>

class QVBoxLayout;

namespace slimlab {

/// An experiment spec as a form, generated from what the spec reader asks for (spec_fields):
/// one group per section, an editor per field with its range or choices and a tooltip that
/// explains it (with the formula where there is one), and tick boxes that add or remove the
/// distillation and pruning sections. Every edit is validated at once; an
/// invalid field is outlined and carries the message. Choosing another model kind, criterion
/// or gate rebuilds the form, since the fields depend on it.
///   SpecForm form;
///   form.setSpec(json);            // any valid spec; defaults are filled in
///   if (form.valid()) start(form.spec());
class SpecForm : public QWidget {
  Q_OBJECT
 public:
  explicit SpecForm(QWidget* parent = nullptr);
  /// Shows `spec` (throws InputError when it is invalid).
  void setSpec(const nlohmann::json& spec);
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
  nlohmann::json valueOf(const std::string& path) const;

  QVBoxLayout* layout_;
  QWidget* body_ = nullptr;
  nlohmann::json spec_;
  std::map<std::string, QWidget*> editors_;
  std::map<std::string, int> kinds_;     ///< FieldInfo::Kind by path.
  std::map<std::string, QString> help_;  ///< Each editor's own tooltip.
  QString problem_;
  bool building_ = false;
};

/// Sets the value at a field path ("a.b[2].c") inside `j`, creating objects on the way.
void set_json_path(nlohmann::json& j, const std::string& path, const nlohmann::json& value);
/// The value at a field path, or null.
nlohmann::json get_json_path(const nlohmann::json& j, const std::string& path);

}  // namespace slimlab
