// The spec form never changes or invents a value: the wheel, fields that do not apply, run names.
#include <gtest/gtest.h>

#include <QComboBox>
#include <QDir>
#include <QDoubleSpinBox>
#include <QScrollArea>
#include <QScrollBar>
#include <QWheelEvent>

#include "qt_test_app.h"
#include "spec/experiment_spec.h"
#include "spec/spec_fields.h"
#include "spec/spec_paths.h"
#include "spec_form.h"

using namespace slimlab;

namespace {

const std::string kPresets = std::string(SLIMLAB_SOURCE_DIR) + "/experiments/";

nlohmann::json preset(const std::string& name) { return load_spec_file(kPresets + name); }

/// One notch of the wheel (down) over the middle of `w`, as the mouse sends it.
bool wheel(QWidget* w) {
  QPointF at(w->width() / 2.0, w->height() / 2.0);
  QWheelEvent event(at, w->mapToGlobal(at), QPoint(), QPoint(0, -120), Qt::NoButton, Qt::NoModifier,
                    Qt::NoScrollPhase, false);
  QApplication::sendEvent(w, &event);
  return event.isAccepted();
}

double value_of(QWidget* w) { return qobject_cast<QDoubleSpinBox*>(w)->value(); }

const char* const k2dFields[] = {"points", "test_points", "noise", "classes"};

}  // namespace

TEST(SpecFormWheelTest, WheelOverAnUnfocusedFieldChangesNothing) {
  slimlab::testing::qt_app();
  SpecForm form;
  form.setSpec(preset("mlp-fashion.json"));
  form.resize(560, 400);
  form.show();
  QApplication::processEvents();
  const auto before = form.spec();
  auto* dropout = form.editor("model.dropout");
  ASSERT_NE(dropout, nullptr);
  ASSERT_DOUBLE_EQ(value_of(dropout), 0.1);
  ASSERT_FALSE(dropout->hasFocus());
  // Ignored, so Qt hands it on to the scroll area (which scrolls the form instead).
  EXPECT_FALSE(wheel(dropout));
  EXPECT_DOUBLE_EQ(value_of(dropout), 0.1);
  auto* kind = qobject_cast<QComboBox*>(form.editor("model.kind"));
  ASSERT_NE(kind, nullptr);
  wheel(kind);
  EXPECT_EQ(kind->currentText(), "mlp");
  EXPECT_EQ(form.spec(), before);
  // The wheel only gives focus to no editor: clicking or tabbing in does.
  EXPECT_EQ(dropout->focusPolicy(), Qt::StrongFocus);
  EXPECT_EQ(kind->focusPolicy(), Qt::StrongFocus);
  // A field the user clicked into still takes the wheel (the same event, now focused).
  form.activateWindow();
  dropout->setFocus(Qt::MouseFocusReason);
  QApplication::processEvents();
  if (dropout->hasFocus()) {  // The offscreen platform activates the window; others may not.
    EXPECT_TRUE(wheel(dropout));
    EXPECT_LT(value_of(dropout), 0.1);
  }
}

TEST(SpecFormFieldsTest, FashionPresetsShowAndWriteNo2DDataFields) {
  slimlab::testing::qt_app();
  int fashion = 0;
  for (const auto& file : QDir(QString::fromStdString(kPresets)).entryList({"*.json"})) {
    auto json = preset(file.toStdString());
    if (spec_from_json(json).data.dataset != DatasetKind::FashionMnist) continue;
    ++fashion;
    SCOPED_TRACE(file.toStdString());
    SpecForm form;
    form.setSpec(json);
    const auto built = form.spec();
    for (const char* key : k2dFields) {
      EXPECT_EQ(form.editor(std::string("data.") + key), nullptr) << key;
      EXPECT_FALSE(built["data"].contains(key)) << key;
    }
    // Untouched, the form writes exactly what the reader makes of the preset: no value is
    // invented, none changed.
    EXPECT_EQ(built, spec_to_json(spec_from_json(json)));
    // Every number it shows is the spec's value or, for a field the spec does not write out
    // (a cnn's moe without MoE blocks), the reader's default: never an empty editor's 0.
    for (const auto& f : spec_fields(built)) {
      auto* box = qobject_cast<QDoubleSpinBox*>(form.editor(f.path));
      if (box == nullptr) continue;
      auto expected = get_json_path(built, f.path);
      if (expected.is_null()) expected = nlohmann::json::parse(f.default_json);
      EXPECT_NEAR(box->value(), expected.get<double>(), 1e-9) << f.path;
    }
  }
  EXPECT_GE(fashion, 15);  // The classroom's presets are mostly Fashion-MNIST.
}

TEST(SpecFormFieldsTest, SwitchingToSpiralsShowsTheReadersDefaults) {
  slimlab::testing::qt_app();
  SpecForm form;
  form.setSpec(preset("mlp-fashion.json"));
  auto* dataset = qobject_cast<QComboBox*>(form.editor("data.dataset"));
  ASSERT_NE(dataset, nullptr);
  dataset->setCurrentText("spirals");
  ASSERT_TRUE(form.valid()) << form.problem().toStdString();
  const DataSpec defaults;
  ASSERT_NE(form.editor("data.points"), nullptr);
  EXPECT_DOUBLE_EQ(value_of(form.editor("data.points")), double(defaults.points));  // 2000.
  EXPECT_DOUBLE_EQ(value_of(form.editor("data.test_points")), double(defaults.test_points));
  EXPECT_DOUBLE_EQ(value_of(form.editor("data.noise")), defaults.noise);  // 0.1, not 0.
  auto spec = spec_from_json(form.spec());
  EXPECT_EQ(spec.data.points, defaults.points);
  EXPECT_DOUBLE_EQ(spec.data.noise, defaults.noise);
  EXPECT_DOUBLE_EQ(spec.model.mlp.dropout(), 0.1);  // The preset's own values stay.
  form.resize(560, 700);
  form.show();
  form.grab().save("spec_form_spirals.png");  // For people to look at: build/release/tests/.
  // Back to Fashion-MNIST: the 2-D fields go again.
  dataset = qobject_cast<QComboBox*>(form.editor("data.dataset"));  // Rebuilt with the form.
  dataset->setCurrentText("fashion-mnist");
  EXPECT_EQ(form.editor("data.points"), nullptr);
  EXPECT_FALSE(form.spec()["data"].contains("points"));
}

TEST(SpecFormFieldsTest, TeacherFieldOffersFinishedRunsAndMarksAnUnknownOne) {
  slimlab::testing::qt_app();
  SpecForm form;
  form.setFinishedRuns({{3, "mlp-1200-teacher"}, {7, "cnn-fashion"}});
  form.setSpec(preset("kd-hinton.json"));
  EXPECT_TRUE(form.valid()) << form.problem().toStdString();
  auto* teacher = qobject_cast<QComboBox*>(form.editor("distill.teachers[0].run"));
  ASSERT_NE(teacher, nullptr);
  EXPECT_TRUE(teacher->isEditable());
  ASSERT_EQ(teacher->count(), 2);
  EXPECT_EQ(teacher->itemText(0), "cnn-fashion");  // Newest first.
  EXPECT_EQ(teacher->currentText(), "mlp-1200-teacher");
  teacher->setCurrentText("no-such-run");
  EXPECT_FALSE(form.valid());
  EXPECT_TRUE(form.problem().startsWith("distill.teachers[0].run:"))
      << form.problem().toStdString();
  EXPECT_TRUE(form.problem().contains("no-such-run"));
  EXPECT_TRUE(teacher->styleSheet().contains("border"));
  EXPECT_EQ(form.spec()["distill"]["teachers"][0]["run"], "no-such-run");  // The edit is kept.
  teacher->setCurrentText("7");  // A run id is a reference too.
  EXPECT_TRUE(form.valid()) << form.problem().toStdString();
  EXPECT_FALSE(teacher->styleSheet().contains("border"));
  form.resize(560, 900);
  form.show();
  teacher->setCurrentText("no-such-run");
  form.grab().save("spec_form_teacher.png");
}

TEST(SpecFormFieldsTest, UnknownRunProblemNamesTheField) {
  auto spec = load_spec_file(kPresets + "kd-hinton.json");
  EXPECT_EQ(unknown_run_problem(spec, {{1, "mlp-1200-teacher"}}), "");
  auto problem = unknown_run_problem(spec, {});
  EXPECT_TRUE(problem.startsWith("distill.teachers[0].run: no finished run"))
      << problem.toStdString();
  EXPECT_TRUE(problem.contains("train it first"));
  // A uuid prefix is resolved by the store at start, not here.
  spec["distill"]["teachers"][0]["run"] = "3f2a9c";
  EXPECT_EQ(unknown_run_problem(spec, {}), "");
}

TEST(SpecFormFieldsTest, SmallNumbersSurviveTheFormUnrounded) {
  slimlab::testing::qt_app();
  auto json = preset("mlp-fashion.json");
  json["optimizer"]["lr"] = 1e-7;
  json["optimizer"]["weight_decay"] = 3.5e-9;
  SpecForm form;
  form.setSpec(json);
  const auto built = form.spec();
  EXPECT_DOUBLE_EQ(built["optimizer"]["lr"].get<double>(), 1e-7);
  EXPECT_DOUBLE_EQ(built["optimizer"]["weight_decay"].get<double>(), 3.5e-9);
}
