#include "spec_form.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLineEdit>
#include <QScrollArea>
#include <QVBoxLayout>
#include <cmath>

#include "spec/experiment_spec.h"
#include "spec/spec_error.h"
#include "spec/spec_fields.h"

namespace slimlab {
namespace {

using Kind = FieldInfo::Kind;

// "a.b[2].c" -> {"a", "b", 2, "c"} as strings and indices.
std::vector<std::pair<std::string, int>> split_path(const std::string& path) {
  std::vector<std::pair<std::string, int>> parts;
  std::string name;
  for (size_t i = 0; i <= path.size(); ++i) {
    char c = i < path.size() ? path[i] : '.';
    if (c == '.' || c == '[') {
      if (!name.empty()) parts.push_back({name, -1});
      name.clear();
      if (c == '[') {
        size_t end = path.find(']', i);
        parts.push_back({"", std::stoi(path.substr(i + 1, end - i - 1))});
        i = end;
      }
    } else {
      name += c;
    }
  }
  return parts;
}

// The choice fields whose value decides which other fields exist.
bool reshapes(const std::string& path) {
  for (const char* key :
       {"model.kind", "data.dataset", "prune.criterion", "model.moe.gate", "optimizer.kind"}) {
    if (path == key) return true;
  }
  return false;
}

// Shows 0.1 as "0.1", not "0.100000".
class NumberBox : public QDoubleSpinBox {
 public:
  using QDoubleSpinBox::QDoubleSpinBox;
  QString textFromValue(double value) const override { return QString::number(value, 'g', 10); }
};

}  // namespace

void set_json_path(nlohmann::json& j, const std::string& path, const nlohmann::json& value) {
  nlohmann::json* at = &j;
  for (const auto& [name, index] : split_path(path)) {
    at = index >= 0 ? &(*at)[size_t(index)] : &(*at)[name];
  }
  *at = value;
}

nlohmann::json get_json_path(const nlohmann::json& j, const std::string& path) {
  const nlohmann::json* at = &j;
  for (const auto& [name, index] : split_path(path)) {
    if (index >= 0) {
      if (!at->is_array() || size_t(index) >= at->size()) return nullptr;
      at = &(*at)[size_t(index)];
    } else {
      if (!at->is_object() || !at->contains(name)) return nullptr;
      at = &(*at)[name];
    }
  }
  return *at;
}

SpecForm::SpecForm(QWidget* parent) : QWidget(parent), layout_(new QVBoxLayout(this)) {
  layout_->setContentsMargins(0, 0, 0, 0);
}

void SpecForm::setSpec(const nlohmann::json& spec) {
  spec_ = spec_to_json(spec_from_json(spec));  // Every default written out.
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
  for (const auto& [key, label] :
       {std::pair{"distill", tr("Knowledge distillation")}, std::pair{"prune", tr("Pruning")}}) {
    auto* box = new QCheckBox(label, content);
    box->setObjectName(QString("section:") + key);
    box->setChecked(spec_.contains(key));
    const std::string section = key;
    connect(box, &QCheckBox::toggled, this, [this, section](bool on) {
      auto edited = spec();
      if (on) {
        // A distillation needs a teacher: the classroom's usual one, changed in the form.
        edited[section] = section == "distill"
                              ? nlohmann::json{{"teachers", {{{"run", "cnn-fashion"}}}}}
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
  for (const auto& f : spec_fields(spec_)) {
    if (f.path == "schema") continue;  // The format version, not a knob.
    auto dot = f.path.find_first_of(".[");
    std::string group = dot == std::string::npos ? "general" : f.path.substr(0, dot);
    if (groups.count(group) == 0) {
      auto* box = new QGroupBox(QString::fromStdString(group), content);
      groups[group] = new QFormLayout(box);
      column->addWidget(box);
    }
    const auto value = get_json_path(spec_, f.path);
    QWidget* editor = nullptr;
    QString range;
    switch (f.kind) {
      case Kind::Integer:
      case Kind::Number: {
        auto* box = new NumberBox(content);
        box->setDecimals(f.kind == Kind::Integer ? 0 : 6);
        box->setRange(f.min, std::min(f.max, 1e15));
        box->setValue(value.is_number() ? value.get<double>() : 0.0);
        box->setSingleStep(f.kind == Kind::Integer ? 1.0 : std::max(1e-4, (f.max - f.min) / 100));
        connect(box, &QDoubleSpinBox::valueChanged, this, [this] { validate(); });
        range = tr("between %1 and %2").arg(f.min).arg(f.max);
        editor = box;
        break;
      }
      case Kind::Boolean: {
        auto* box = new QCheckBox(content);
        box->setChecked(value.is_boolean() && value.get<bool>());
        connect(box, &QCheckBox::toggled, this, [this] { validate(); });
        editor = box;
        break;
      }
      case Kind::Choice: {
        auto* box = new QComboBox(content);
        for (const auto& c : f.choices) box->addItem(QString::fromStdString(c));
        box->setCurrentText(
            QString::fromStdString(value.is_string() ? value.get<std::string>() : std::string()));
        const std::string path = f.path;
        connect(box, &QComboBox::currentTextChanged, this, [this, path] {
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
        });
        range = tr("one of: %1").arg(box->count());
        editor = box;
        break;
      }
      default: {
        // Text, lists and maps: strings as typed, everything else as JSON.
        auto* line = new QLineEdit(QString::fromStdString(f.kind == Kind::Text && value.is_string()
                                                              ? value.get<std::string>()
                                                              : value.dump()),
                                   content);
        connect(line, &QLineEdit::textChanged, this, [this] { validate(); });
        range = f.kind == Kind::Text ? tr("text") : tr("JSON, e.g. [256, 128]");
        editor = line;
        break;
      }
    }
    editor->setObjectName(QString::fromStdString(f.path));
    auto help = QString::fromStdString(field_help(f.path));
    help_[f.path] = (help.isEmpty() ? QString() : help + "\n") +
                    (range.isEmpty() ? QString() : tr("Allowed: %1.").arg(range));
    editor->setToolTip(help_[f.path]);
    auto label = f.path.substr(dot == std::string::npos ? 0 : dot + 1);
    groups[group]->addRow(QString::fromStdString(label), editor);
    editors_[f.path] = editor;
    kinds_[f.path] = int(f.kind);
  }
  column->addStretch();
  scroll->setWidget(content);
  layout_->addWidget(scroll);
  building_ = false;
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
  for (const auto& [path, w] : editors_) set_json_path(j, path, valueOf(path));
  return j;
}

void SpecForm::validate() {
  if (building_) return;
  QString problem;
  try {
    spec_from_json(spec());
  } catch (const std::exception& e) {
    problem = QString::fromStdString(e.what());
  }
  // Outline the field the message starts with (the longest matching path).
  std::string bad;
  for (const auto& [path, w] : editors_) {
    bool named = problem.startsWith(QString::fromStdString(path + ":")) ||
                 problem.startsWith(QString::fromStdString(path + ".")) ||
                 problem.startsWith(QString::fromStdString(path + "["));
    if (named && path.size() > bad.size()) bad = path;
  }
  for (const auto& [path, w] : editors_) {
    w->setStyleSheet(path == bad ? "border: 2px solid #d55e00;" : "");
    w->setToolTip(path == bad ? problem : help_[path]);
  }
  if (problem != problem_) {
    problem_ = problem;
    Q_EMIT validityChanged(problem_.isEmpty(), problem_);
  }
}

}  // namespace slimlab
