#include "spec_form.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLineEdit>
#include <QScrollArea>
#include <QTimer>
#include <QVBoxLayout>
#include <cmath>

#include "method/method_registry.h"
#include "spec/experiment_spec.h"
#include "spec/spec_fields.h"
#include "util/input_error.h"

namespace slimlab {
namespace {

using Kind = FieldInfo::Kind;

// The choice fields whose value decides which other fields exist.
bool reshapes(const std::string& path) {
  for (const char* key :
       {"model.kind", "data.dataset", "prune.criterion", "model.moe.gate", "optimizer.kind"}) {
    if (path == key) return true;
  }
  return false;
}

}  // namespace

SpecForm::SpecForm(QWidget* parent) : QWidget(parent), layout_(new QVBoxLayout(this)) {
  layout_->setContentsMargins(0, 0, 0, 0);
}

void SpecForm::setSpec(const nlohmann::json& spec) {
  spec_ = spec_to_json(spec_from_json(spec));  // Every default of what applies written out.
  build();
  validate();
}

void SpecForm::setFinishedRuns(std::vector<FinishedRun> runs) {
  runs_ = std::move(runs);
  checkRuns_ = true;
  if (spec_.is_null()) return;
  auto edited = spec();  // Keep the edits.
  try {
    spec_fields(edited);
  } catch (const std::exception&) {
    validate();  // Rebuilding an invalid spec would lose fields; the drop-downs come later.
    return;
  }
  spec_ = edited;
  build();
  validate();
}

QWidget* SpecForm::editor(const std::string& path) const {
  auto it = editors_.find(path);
  return it == editors_.end() ? nullptr : it->second;
}

void SpecForm::build() {
  building_ = true;
  editors_.clear();
  kinds_.clear();
  help_.clear();
  unset_.clear();
  if (body_ != nullptr) {
    layout_->removeWidget(body_);
    body_->hide();
    body_->deleteLater();
  }
  auto* scroll = new QScrollArea(this);
  scroll->setWidgetResizable(true);
  body_ = scroll;
  auto* content = new QWidget(scroll);
  auto* column = new QVBoxLayout(content);
  // The optional sections: ticking one adds it with its defaults, unticking removes it.
  auto* sections = new QHBoxLayout;
  std::vector<std::pair<std::string, QString>> optional = {
      {"distill", tr("Knowledge distillation")}, {"prune", tr("Pruning")}};
  for (const auto* method : registered_methods()) {
    if (method->offered_in_spec_form || spec_.contains(method->key)) {
      optional.emplace_back(method->key, QString::fromStdString(method->label));
    }
  }
  for (const auto& [key, label] : optional) {
    auto* box = new QCheckBox(label, content);
    box->setObjectName(QString::fromStdString("section:" + key));
    box->setChecked(spec_.contains(key));
    const std::string section = key;
    connect(box, &QCheckBox::toggled, this, [this, section](bool on) {
      auto edited = spec();
      if (on) {
        // A distillation needs a teacher: the newest finished run, else the classroom's usual
        // one; the form marks it when the store has no such run.
        std::string teacher = "cnn-fashion";
        qint64 newest = 0;
        for (const auto& run : runs_) {
          if (run.id <= newest) continue;
          newest = run.id;
          teacher = run.name.toStdString();
        }
        edited[section] = section == "distill" ? nlohmann::json{{"teachers", {{{"run", teacher}}}}}
                                               : nlohmann::json::object();
      } else {
        edited.erase(section);
      }
      try {
        spec_ = spec_to_json(spec_from_json(edited));
        build();
      } catch (const std::exception&) {
        spec_ = edited;  // Only an invalid field elsewhere fails here; validate() names it.
      }
      validate();
    });
    sections->addWidget(box);
  }
  sections->addStretch();
  column->addLayout(sections);
  std::map<std::string, QFormLayout*> groups;
  for (const auto& f : spec_fields(spec_)) {  // spec_ is valid whenever build() runs.
    if (f.path == "schema") continue;         // The format version, not a knob.
    auto dot = f.path.find_first_of(".[");
    std::string group = dot == std::string::npos ? "general" : f.path.substr(0, dot);
    if (groups.count(group) == 0) {
      auto* box = new QGroupBox(QString::fromStdString(group), content);
      groups[group] = new QFormLayout(box);
      column->addWidget(box);
    }
    auto value = get_json_path(spec_, f.path);
    const bool absent = value.is_null();
    // A field the spec does not write out (the moe of a cnn without MoE blocks) shows the
    // reader's default, never an empty editor's 0.
    if (absent) value = nlohmann::json::parse(f.default_json, nullptr, false);
    if (value.is_discarded()) value = nullptr;
    QString range;
    QWidget* editor = makeEditor(f, value, content, &range);
    editor->setObjectName(QString::fromStdString(f.path));
    auto help = QString::fromStdString(field_help(f.path));
    help_[f.path] = (help.isEmpty() ? QString() : help + "\n") +
                    (range.isEmpty() ? QString() : tr("Allowed: %1.").arg(range));
    editor->setToolTip(help_[f.path]);
    auto label = f.path.substr(dot == std::string::npos ? 0 : dot + 1);
    groups[group]->addRow(QString::fromStdString(label), editor);
    editors_[f.path] = editor;
    kinds_[f.path] = int(f.kind);
    if (absent) unset_[f.path] = valueOf(f.path);
  }
  column->addStretch();
  scroll->setWidget(content);
  layout_->addWidget(scroll);
  building_ = false;
}

void SpecForm::onChoice(const std::string& path) {
  if (building_) return;
  if (reshapes(path)) {
    // Other fields now apply: rebuild from the edited spec (defaults for new ones).
    auto edited = spec();
    try {
      spec_ = spec_to_json(spec_from_json(edited));
    } catch (const std::exception&) {
      // Fields of the old choice do not apply to the new one: keep only the choice
      // in its section and let the reader's defaults fill the rest.
      auto parent = path.substr(0, path.rfind('.'));
      auto reduced = edited;
      set_json_path(reduced, parent,
                    {{path.substr(path.rfind('.') + 1), get_json_path(edited, path)}});
      try {
        spec_ = spec_to_json(spec_from_json(reduced));
      } catch (const std::exception&) {
        // Still invalid (e.g. cnn on 2-D data): keep the form, the message says why.
        validate();
        return;
      }
    }
    build();
  }
  validate();
}

nlohmann::json SpecForm::valueOf(const std::string& path) const {
  auto* w = editors_.at(path);
  auto kind = Kind(kinds_.at(path));
  if (auto* box = qobject_cast<QDoubleSpinBox*>(w)) {
    return kind == Kind::Integer ? nlohmann::json(int64_t(std::llround(box->value())))
                                 : nlohmann::json(box->value());
  }
  if (auto* box = qobject_cast<QCheckBox*>(w)) return box->isChecked();
  if (auto* box = qobject_cast<QComboBox*>(w)) return box->currentText().toStdString();
  auto text = qobject_cast<QLineEdit*>(w)->text().toStdString();
  if (kind == Kind::Text) return text;
  auto parsed = nlohmann::json::parse(text, nullptr, false);
  return parsed.is_discarded() ? nlohmann::json(text) : parsed;  // The reader names the field.
}

nlohmann::json SpecForm::spec() const {
  nlohmann::json j = spec_;
  for (const auto& [path, w] : editors_) {
    auto value = valueOf(path);
    // A field the spec left out stays out until the user changes it: the reader's default
    // it shows is not a value anyone chose.
    auto unset = unset_.find(path);
    if (unset != unset_.end() && unset->second == value) continue;
    set_json_path(j, path, value);
  }
  return j;
}

void SpecForm::validate() {
  if (building_) return;
  QString problem;
  try {
    auto edited = spec();
    spec_from_json(edited);
    if (checkRuns_) problem = unknown_run_problem(edited, runs_);
  } catch (const std::exception& e) {
    problem = QString::fromStdString(e.what());
  }
  markField(problem);
  if (problem != problem_) {
    problem_ = problem;
    Q_EMIT validityChanged(problem_.isEmpty(), problem_);
  }
}

void SpecForm::showProblem(const QString& message) {
  markField(message);
  // Bring the outlined field into view, once the form is laid out (it may not be shown yet).
  QTimer::singleShot(0, this, [this, message] {
    auto* scroll = qobject_cast<QScrollArea*>(body_);
    for (const auto& [path, w] : editors_) {
      if (scroll != nullptr && w->toolTip() == message) scroll->ensureWidgetVisible(w);
    }
  });
}

void SpecForm::markField(const QString& message) {
  // Outline the field the message starts with (the longest matching path).
  std::string bad;
  for (const auto& [path, w] : editors_) {
    bool named = message.startsWith(QString::fromStdString(path + ":")) ||
                 message.startsWith(QString::fromStdString(path + ".")) ||
                 message.startsWith(QString::fromStdString(path + "["));
    if (named && path.size() > bad.size()) bad = path;
  }
  for (const auto& [path, w] : editors_) {
    w->setStyleSheet(path == bad ? "border: 2px solid #d55e00;" : "");
    w->setToolTip(path == bad ? message : help_[path]);
  }
}

}  // namespace slimlab
