// The spec editor keeps the user's edits whenever a spec cannot start, offscreen.
#include <gtest/gtest.h>

#include <QApplication>
#include <QComboBox>
#include <QEventLoop>
#include <QLabel>
#include <QListWidget>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QTabWidget>
#include <QTimer>
#include <functional>

#include "../core/test_files.h"
#include "../widgets/qt_test_app.h"
#include "main_window.h"
#include "spec/spec_paths.h"
#include "spec_dialog.h"

using namespace slimlab;

namespace {

const std::string kPresets = std::string(SLIMLAB_SOURCE_DIR) + "/experiments/";

QString spec_text(const nlohmann::json& j) { return QString::fromStdString(j.dump(2)); }

nlohmann::json parsed(const QString& text) { return nlohmann::json::parse(text.toStdString()); }

}  // namespace

TEST(SpecDialogTest, AnUnknownTeacherRunIsNotAcceptedAndTheTextIsKept) {
  slimlab::testing::qt_app();
  auto json = load_spec_file(kPresets + "kd-hinton.json");
  json["distill"]["teachers"][0]["run"] = "no-such-run";
  json["schedule"]["epochs"] = 3;  // An edit of the user's, to be kept.
  SpecDialog dialog("Edit kd-hinton", spec_text(json), {{4, "mlp-1200-teacher"}});
  dialog.show();
  QApplication::processEvents();
  // Form page: the teacher field offers the finished run, and is outlined.
  ASSERT_EQ(dialog.pages()->currentWidget(), dialog.form());
  auto* teacher = qobject_cast<QComboBox*>(dialog.form()->editor("distill.teachers[0].run"));
  ASSERT_NE(teacher, nullptr);
  EXPECT_EQ(teacher->findText("mlp-1200-teacher"), 0);
  EXPECT_TRUE(teacher->styleSheet().contains("border"));
  EXPECT_TRUE(dialog.problem().startsWith("distill.teachers[0].run:"))
      << dialog.problem().toStdString();
  EXPECT_FALSE(dialog.startButton()->isEnabled());
  dialog.grab().save("spec_dialog_unknown_teacher.png");  // For people: build/release/tests/.
  dialog.tryStart();  // As a click would, were the button enabled.
  EXPECT_TRUE(dialog.isVisible());
  EXPECT_NE(dialog.result(), QDialog::Accepted);
  EXPECT_EQ(parsed(dialog.text())["distill"]["teachers"][0]["run"], "no-such-run");
  EXPECT_EQ(parsed(dialog.text())["schedule"]["epochs"], 3);
  // The JSON page checks the same, and keeps the text as typed.
  dialog.pages()->setCurrentWidget(dialog.jsonEditor());
  const auto typed = dialog.jsonEditor()->toPlainText();
  EXPECT_TRUE(typed.contains("no-such-run"));
  dialog.tryStart();
  EXPECT_TRUE(dialog.isVisible());
  EXPECT_EQ(dialog.jsonEditor()->toPlainText(), typed);
  EXPECT_TRUE(dialog.problem().contains("no-such-run")) << dialog.problem().toStdString();
  // Naming a finished run lets it start, with the edits.
  dialog.pages()->setCurrentWidget(dialog.form());
  teacher = qobject_cast<QComboBox*>(dialog.form()->editor("distill.teachers[0].run"));
  teacher->setCurrentText("mlp-1200-teacher");
  EXPECT_TRUE(dialog.problem().isEmpty()) << dialog.problem().toStdString();
  EXPECT_TRUE(dialog.startButton()->isEnabled());
  dialog.tryStart();
  EXPECT_EQ(dialog.result(), QDialog::Accepted);
  EXPECT_EQ(dialog.spec().distill.teachers.at(0).ref, "mlp-1200-teacher");
  EXPECT_EQ(dialog.spec().schedule.epochs, 3);
}

TEST(SpecDialogTest, ARefusedStartReopensTheEditorWithTheEditsAndTheMessage) {
  slimlab::testing::qt_app();
  slimlab::testing::TempDir dir;
  MainWindow window(QString::fromStdString(dir.file("runs.sqlite")));
  window.setInteractive(false);  // Not shown: only its editor is looked at.
  auto* library = window.findChild<QListWidget*>();
  ASSERT_NE(library, nullptr);
  for (int i = 0; i < library->count(); ++i) {
    if (library->item(i)->data(Qt::UserRole).toString().endsWith("/mlp-spirals.json")) {
      library->setCurrentRow(i);
    }
  }
  QPushButton* edit = nullptr;
  for (auto* b : window.findChildren<QPushButton*>()) {
    if (b->text() == "Edit...") edit = b;
  }
  ASSERT_NE(edit, nullptr);
  // A teacher given as a uuid prefix passes the editor (only the store can resolve one) and
  // is refused when the run starts: the store has no such run.
  auto json = load_spec_file(kPresets + "mlp-spirals.json");
  json["distill"] = {{"teachers", {{{"run", "abcdef12"}}}}};
  json["schedule"]["epochs"] = 2;
  int opened = 0;
  bool done = false;
  QString reopenedProblem, reopenedText, reopenedBorder;
  std::function<void()> drive = [&] {
    auto* d = qobject_cast<SpecDialog*>(QApplication::activeModalWidget());
    if (d == nullptr || !d->isVisible()) {
      QTimer::singleShot(50, drive);
      return;
    }
    if (++opened == 1) {
      d->pages()->setCurrentWidget(d->jsonEditor());
      d->jsonEditor()->setPlainText(spec_text(json));
      d->tryStart();  // Closes it: the spec reads, and names no run that is known not to exist.
      QTimer::singleShot(50, drive);
      return;
    }
    reopenedProblem = d->problem();
    reopenedText = d->text();
    if (auto* teacher = d->form()->editor("distill.teachers[0].run")) {
      reopenedBorder = teacher->styleSheet();
    }
    d->grab().save("spec_dialog_refused.png");
    d->reject();
    done = true;
  };
  QTimer::singleShot(0, drive);
  edit->click();  // Returns once the first editor started the spec.
  EXPECT_EQ(opened, 1);
  QEventLoop loop;
  QTimer poll;
  QObject::connect(&poll, &QTimer::timeout, &loop, [&] {
    if (done) loop.quit();
  });
  poll.start(50);
  QTimer::singleShot(60'000, &loop, &QEventLoop::quit);
  loop.exec();
  ASSERT_TRUE(done) << "the editor did not open again";
  EXPECT_TRUE(reopenedProblem.startsWith("distill.teachers[0].run"))
      << reopenedProblem.toStdString();
  EXPECT_TRUE(reopenedProblem.contains("abcdef12")) << reopenedProblem.toStdString();
  auto kept = parsed(reopenedText);
  EXPECT_EQ(kept["distill"]["teachers"][0]["run"], "abcdef12");
  EXPECT_EQ(kept["schedule"]["epochs"], 2);
  EXPECT_TRUE(reopenedBorder.contains("border"));
}
