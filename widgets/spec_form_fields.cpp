// The spec form's editors, one per field kind, and the JSON paths they read and write.
#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QEvent>
#include <QLineEdit>
#include <QRegularExpression>
#include <algorithm>

#include "spec/spec_fields.h"
#include "spec_form.h"

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

// Shows 0.1 as "0.1", not "0.100000".
class NumberBox : public QDoubleSpinBox {
 public:
  using QDoubleSpinBox::QDoubleSpinBox;
  QString textFromValue(double value) const override { return QString::number(value, 'g', 10); }
};

// Scrolling the form over a spin box or drop-down once changed dropout from 0.1 to 0.0715
// unnoticed. The wheel now moves only an editor the user clicked or tabbed into; over any
// other the event is ignored, so Qt passes it on to the scroll area, which scrolls.
class WheelGuard : public QObject {
 public:
  using QObject::QObject;
  bool eventFilter(QObject* watched, QEvent* event) override {
    if (event->type() == QEvent::Wheel) {
      auto* w = qobject_cast<QWidget*>(watched);
      if (w != nullptr && !w->hasFocus()) {
        event->ignore();
        return true;
      }
    }
    return QObject::eventFilter(watched, event);
  }
};

// A uuid prefix (hex digits and dashes, not a plain number): resolved only by the store at start.
bool looks_like_uuid_prefix(const QString& reference) {
  static const QRegularExpression kHex("^[0-9a-fA-F-]{4,36}$");
  static const QRegularExpression kDigits("^[0-9]+$");
  return kHex.match(reference).hasMatch() && !kDigits.match(reference).hasMatch();
}

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

QString unknown_run_problem(const nlohmann::json& spec, const std::vector<FinishedRun>& runs) {
  std::vector<FieldInfo> fields;
  try {
    fields = spec_fields(spec);
  } catch (const std::exception&) {
    return {};
  }
  for (const auto& f : fields) {
    if (!f.names_run) continue;
    auto value = get_json_path(spec, f.path);
    if (!value.is_string() || value.get<std::string>().empty()) continue;
    const auto reference = QString::fromStdString(value.get<std::string>());
    QStringList names;
    bool found = false;
    for (const auto& run : runs) {
      found = found || run.name == reference || QString::number(run.id) == reference;
      if (!names.contains(run.name)) names << run.name;
    }
    if (found || looks_like_uuid_prefix(reference)) continue;
    return QString::fromStdString(f.path) +
           QObject::tr(": no finished run called or numbered \"%1\" in this store; %2")
               .arg(reference, names.isEmpty()
                                   ? QObject::tr("train it first")
                                   : QObject::tr("finished runs: %1").arg(names.join(", ")));
  }
  return {};
}

QWidget* SpecForm::makeEditor(const FieldInfo& f, const nlohmann::json& value, QWidget* parent,
                              QString* range) {
  QWidget* editor = nullptr;
  switch (f.kind) {
    case Kind::Integer:
    case Kind::Number: {
      auto* box = new NumberBox(parent);
      // QDoubleSpinBox rounds its value to `decimals`: 6 turned a learning rate of 1e-7 into 0.
      box->setDecimals(f.kind == Kind::Integer ? 0 : 15);
      box->setRange(f.min, std::min(f.max, 1e15));
      box->setValue(value.is_number() ? value.get<double>() : 0.0);
      box->setSingleStep(f.kind == Kind::Integer ? 1.0 : std::max(1e-4, (f.max - f.min) / 100));
      connect(box, &QDoubleSpinBox::valueChanged, this, [this] { validate(); });
      *range = tr("between %1 and %2").arg(f.min).arg(f.max);
      editor = box;
      break;
    }
    case Kind::Boolean: {
      auto* box = new QCheckBox(parent);
      box->setChecked(value.is_boolean() && value.get<bool>());
      connect(box, &QCheckBox::toggled, this, [this] { validate(); });
      editor = box;
      break;
    }
    case Kind::Choice: {
      auto* box = new QComboBox(parent);
      for (const auto& c : f.choices) box->addItem(QString::fromStdString(c));
      box->setCurrentText(
          QString::fromStdString(value.is_string() ? value.get<std::string>() : std::string()));
      connect(box, &QComboBox::currentTextChanged, this, [this, path = f.path] { onChoice(path); });
      QStringList names;
      for (const auto& c : f.choices) names << QString::fromStdString(c);
      *range = tr("one of: %1").arg(names.join(", "));
      editor = box;
      break;
    }
    default: {
      const auto text = QString::fromStdString(
          f.kind == Kind::Text && value.is_string() ? value.get<std::string>() : value.dump());
      if (f.names_run && checkRuns_) {
        // A run of this store: offered from the finished ones, any name or id may be typed.
        auto* box = new QComboBox(parent);
        box->setEditable(true);
        box->setInsertPolicy(QComboBox::NoInsert);
        auto newest_first = runs_;
        std::sort(newest_first.begin(), newest_first.end(),
                  [](const FinishedRun& a, const FinishedRun& b) { return a.id > b.id; });
        for (const auto& run : newest_first) {
          if (box->findText(run.name) < 0) box->addItem(run.name);
        }
        box->setCurrentText(text);
        connect(box, &QComboBox::currentTextChanged, this, [this] { validate(); });
        *range = tr("a finished run of this store (name or id)");
        editor = box;
        break;
      }
      // Text, lists and maps: strings as typed, everything else as JSON.
      auto* line = new QLineEdit(text, parent);
      connect(line, &QLineEdit::textChanged, this, [this] { validate(); });
      *range = f.kind == Kind::Text ? tr("text") : tr("JSON, e.g. [256, 128]");
      editor = line;
      break;
    }
  }
  if (qobject_cast<QCheckBox*>(editor) == nullptr) {
    // Click or Tab gives focus, the wheel never does (see WheelGuard).
    editor->setFocusPolicy(Qt::StrongFocus);
    if (wheelGuard_ == nullptr) wheelGuard_ = new WheelGuard(this);
    editor->installEventFilter(wheelGuard_);
  }
  return editor;
}

}  // namespace slimlab
