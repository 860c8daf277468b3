// The spec editor (form and JSON) and the window's way of opening it, keeping the edits when a
// start fails.
#include "spec_dialog.h"

#include <QDialogButtonBox>
#include <QDir>
#include <QFile>
#include <QFontDatabase>
#include <QInputDialog>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSignalBlocker>
#include <QTabWidget>
#include <QTimer>
#include <QVBoxLayout>
#include <memory>
#include <nlohmann/json.hpp>

#include "experiment_library.h"
#include "main_window.h"
#include "run_controller.h"
#include "run_table.h"
#include "spec/spec_paths.h"

namespace slimlab {

QString spec_text_problem(const QString& text, ExperimentSpec* out, const QString& file) {
  try {
    auto json = parse_json_text(text.toStdString(), "spec");
    if (!file.isEmpty()) anchor_spec_paths(json, file.toStdString());
    auto spec = spec_from_json(json);
    make_spec_paths_absolute(spec);
    if (out != nullptr) *out = spec;
  } catch (const std::exception& e) {
    return QString::fromStdString(e.what());
  }
  return {};
}

SpecDialog::SpecDialog(const QString& title, const QString& text, std::vector<FinishedRun> finished,
                       QWidget* parent)
    : QDialog(parent),
      finished_(std::move(finished)),
      pages_(new QTabWidget(this)),
      form_(new SpecForm(this)),
      editor_(new QPlainTextEdit(text, this)),
      problem_(new QLabel(this)) {
  setWindowTitle(title);
  auto* layout = new QVBoxLayout(this);
  form_->setFinishedRuns(finished_);
  editor_->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
  pages_->addTab(form_, tr("Form"));
  pages_->addTab(editor_, tr("JSON"));
  problem_->setObjectName("spec-problem");
  problem_->setWordWrap(true);
  problem_->setStyleSheet("color: #d55e00");
  auto* buttons = new QDialogButtonBox(this);
  start_ = buttons->addButton(tr("Start"), QDialogButtonBox::ActionRole);
  save_ = buttons->addButton(tr("Save as preset..."), QDialogButtonBox::ActionRole);
  buttons->addButton(QDialogButtonBox::Cancel);
  layout->addWidget(pages_, 1);
  layout->addWidget(problem_);
  layout->addWidget(buttons);
  resize(660, 720);
  if (!toForm()) pages_->setCurrentWidget(editor_);
  connect(form_, &SpecForm::validityChanged, this, &SpecDialog::validate);
  connect(editor_, &QPlainTextEdit::textChanged, this, &SpecDialog::validate);
  connect(pages_, &QTabWidget::currentChanged, this, [this](int index) {
    if (pages_->widget(index) == editor_) {
      QSignalBlocker block(editor_);
      editor_->setPlainText(QString::fromStdString(form_->spec().dump(2)));
    } else if (!toForm()) {
      QSignalBlocker block(pages_);
      pages_->setCurrentWidget(editor_);
    }
    validate();
  });
  connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
  // Not the AcceptRole: Start must not close the editor before the spec is checked.
  connect(start_, &QPushButton::clicked, this, &SpecDialog::tryStart);
  validate();
}

QString SpecDialog::text() const {
  return pages_->currentWidget() == form_ ? QString::fromStdString(form_->spec().dump(2))
                                          : editor_->toPlainText();
}

QString SpecDialog::problem() const { return problem_->text(); }

QString SpecDialog::check(ExperimentSpec* out) const {
  const auto text = this->text();
  auto problem = spec_text_problem(text, out);
  if (problem.isEmpty()) {
    problem = unknown_run_problem(parse_json_text(text.toStdString(), "spec"), finished_);
  }
  return problem;
}

void SpecDialog::validate() {
  auto problem = check(nullptr);
  problem_->setText(problem);
  start_->setEnabled(problem.isEmpty());
  save_->setEnabled(problem.isEmpty());
}

void SpecDialog::tryStart() {
  auto problem = check(&spec_);
  if (!problem.isEmpty()) {
    showProblem(problem);
    return;
  }
  accept();
}

void SpecDialog::showProblem(const QString& message) {
  problem_->setText(message);
  if (pages_->currentWidget() == form_) form_->showProblem(message);
}

bool SpecDialog::toForm() {
  try {
    form_->setSpec(parse_json_text(editor_->toPlainText().toStdString(), "spec"));
    return true;
  } catch (const std::exception&) {
    return false;  // An invalid spec stays in the JSON page, with its message.
  }
}

void MainWindow::editSpecText(const QString& title, const QString& text, const QString& problem) {
  std::vector<FinishedRun> finished;
  for (const auto& run : runTable_->runs()) {
    if (run.status == "finished") finished.push_back({run.id, run.name});
  }
  SpecDialog dialog(title, text, std::move(finished), this);
  if (!problem.isEmpty()) dialog.showProblem(problem);
  connect(dialog.saveButton(), &QPushButton::clicked, &dialog, [this, &dialog] {
    bool ok = false;
    auto name = QInputDialog::getText(&dialog, tr("Save as preset"), tr("Name:"), QLineEdit::Normal,
                                      "my-experiment", &ok);
    if (!ok || name.isEmpty()) return;
    // A name, not a path: the preset stays in the presets folder.
    if (name.contains('/') || name.contains('\\') || name.startsWith('.')) {
      warn(tr("Not a preset name"),
           tr("\"%1\": a preset name cannot contain / or \\ or start with a dot.").arg(name));
      return;
    }
    QDir().mkpath(user_spec_dir());
    QFile file(user_spec_dir() + "/" + name + ".json");
    if (!file.open(QIODevice::WriteOnly) || file.write(dialog.text().toUtf8()) < 0) {
      warn(tr("Could not save the preset"), tr("%1: %2").arg(file.fileName(), file.errorString()));
      return;
    }
    buildLibrary();
  });
  if (dialog.exec() != QDialog::Accepted) return;
  const ExperimentSpec spec = dialog.spec();
  if (!trustTeachers(spec)) return;
  // Some problems show only when the run starts (a teacher given by a uuid prefix that matches
  // nothing, layer names the model lacks): the controller refuses it, and the editor opens
  // again with the same text, the message and the field outlined, so no edit is lost.
  const QString edited = dialog.text();
  controller_->setStorePath(storePath_);
  controller_->enqueue(spec, [this, title, edited](const QString& message) {
    // Outside the controller's signal, after the refusal's own handlers.
    QTimer::singleShot(0, this,
                       [this, title, edited, message] { editSpecText(title, edited, message); });
  });
  updateControls();
}

}  // namespace slimlab
