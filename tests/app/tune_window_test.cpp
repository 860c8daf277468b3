// The Tune window, offscreen, on a real store made by slimlab-cli: moving a control changes the
// figures, and they equal `slimlab-cli tune RUN --plan FILE --json` on the same plan; points can
// be restored and undone; a budget fit meets its budget; "Fine-tune" hands over a child run's
// spec that keeps the plan and trains from the run.
#include <gtest/gtest.h>

// LibTorch before Qt: Qt's `slots` macro breaks LibTorch's headers.
#include "spec/experiment_spec.h"
#include "store/run_store.h"
#include "train/run_session.h"

#include <QSlider>
#include <cstdio>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "../core/test_files.h"
#include "../widgets/qt_test_app.h"
#include "tune_window.h"

using namespace slimlab;
using slimlab::testing::pump_until;

namespace {

std::string shell(const std::string& command) {
  std::string out;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, pipe)) > 0) out.append(buf, n);
  pclose(pipe);
  return out;
}

}  // namespace

TEST(TuneWindowTest, AControlChangesTheFiguresAsTheCliComputesThem) {
  slimlab::testing::qt_app();
  slimlab::testing::TempDir dir;
  const std::string db = dir.file("runs.sqlite");
  const std::string train = std::string(SLIMLAB_CLI) + " --db " + db + " run " +
                            SLIMLAB_SOURCE_DIR + "/experiments/mlp-spirals.json --quiet >/dev/null";
  ASSERT_EQ(std::system(train.c_str()), 0) << train;

  TuneWindow tune(QString::fromStdString(db), "mlp-spirals");  // By name, as the CLI takes it.
  tune.show();
  bool loaded = false, shown = false, curves = false;
  QObject::connect(&tune, &TuneWindow::loaded, [&] { loaded = true; });
  QObject::connect(&tune, &TuneWindow::metricsShown, [&] { shown = true; });
  QObject::connect(&tune, &TuneWindow::curvesDone, [&] { curves = true; });
  ASSERT_TRUE(pump_until([&] { return loaded; }, 60)) << tune.statusText().toStdString();
  const auto trained = *tune.shownMetrics();
  ASSERT_EQ(tune.pointCount(), 1);

  // Drag the first layer's sparsity slider across several positions: the last one is shown.
  const std::string layer = "layers.2";
  for (int v : {10, 30, 50, 60})
    ASSERT_TRUE(tune.setControl(QString::fromStdString(layer), "sparsity", v));
  ASSERT_TRUE(pump_until([&] { return shown && tune.shownPlan() == tune.plan(); }, 60));
  const auto m = *tune.shownMetrics();
  EXPECT_LT(m.cost.params, trained.cost.params);
  ASSERT_EQ(tune.shownPlan().layers.at(layer).sparsity.value_or(0), 0.6);

  // The CLI evaluates the same plan to the same figures.
  const std::string plan_file = dir.file("plan.json");
  std::ofstream(plan_file) << plan_to_json(tune.shownPlan()).dump();
  const auto out =
      shell(std::string(SLIMLAB_CLI) + " --db " + db + " tune 1 --plan " + plan_file + " --json");
  auto j = nlohmann::json::parse(out.substr(out.find('{')));
  EXPECT_DOUBLE_EQ(j["plan_metrics"]["accuracy"].get<double>(), m.accuracy);
  EXPECT_NEAR(j["plan_metrics"]["loss"].get<double>(), m.loss, 1e-9);
  EXPECT_EQ(j["plan_metrics"]["params"].get<int64_t>(), m.cost.params);

  // A factorised layer is not pruned: moving its rank clears its sparsity.
  ASSERT_TRUE(tune.setControl(QString::fromStdString(layer), "rank", 4));
  ASSERT_TRUE(pump_until([&] { return tune.shownPlan() == tune.plan(); }, 60));
  EXPECT_FALSE(tune.shownPlan().layers.at(layer).sparsity.has_value());
  EXPECT_EQ(tune.shownPlan().layers.at(layer).rank.value_or(0), 4);

  // Undo goes back to the pruned setting, exactly as it was shown; redo forward again.
  tune.undo();
  EXPECT_EQ(tune.shownMetrics()->loss, m.loss);
  EXPECT_EQ(tune.plan().layers.at(layer).sparsity.value_or(0), 0.6);
  tune.redo();
  EXPECT_EQ(tune.plan().layers.at(layer).rank.value_or(0), 4);
  tune.restorePoint(0);
  EXPECT_TRUE(tune.plan().layers.empty());
  EXPECT_EQ(tune.shownMetrics()->loss, trained.loss);

  // Fit a budget once the curves are in: the plan shown meets it.
  ASSERT_TRUE(pump_until([&] { return curves; }, 120));
  bool fitted = false;
  QObject::connect(&tune, &TuneWindow::budgetFitted, [&] { fitted = true; });
  tune.fitBudget(CostAxis::Params, 0.5);
  ASSERT_TRUE(pump_until([&] { return fitted && tune.shownPlan() == tune.plan(); }, 60))
      << tune.statusText().toStdString();
  EXPECT_LE(tune.shownMetrics()->cost.params, int64_t(0.5 * double(trained.cost.params)));

  // Fine-tune: the child run's spec keeps the plan and starts from run 1.
  std::optional<ExperimentSpec> child;
  tune.setFineTune([&](const ExperimentSpec& spec) { child = spec; });
  tune.fineTune(20);
  ASSERT_TRUE(pump_until([&] { return child.has_value(); }, 30)) << tune.statusText().toStdString();
  ASSERT_EQ(child->method_sections.count("plan"), 1u);
  EXPECT_EQ(plan_from_json(nlohmann::json::parse(child->method_sections.at("plan"))),
            tune.shownPlan());
  RunObserver quiet;
  RunControl control;
  auto outcome = run_experiment(*child, db, quiet, control);
  ASSERT_EQ(outcome.result.status, RunStatus::Finished) << outcome.error;
  RunStore store(db, RunStore::Access::ReadOnly);
  EXPECT_EQ(store.find_run(std::to_string(outcome.run_id)).parent_id, 1);
}

TEST(TuneWindowTest, ARunThatCannotBeTunedSaysWhy) {
  slimlab::testing::qt_app();
  slimlab::testing::TempDir dir;
  TuneWindow tune(QString::fromStdString(dir.file("missing.sqlite")), "3");
  QString said;
  QObject::connect(&tune, &TuneWindow::problem, [&](const QString& text) { said = text; });
  ASSERT_TRUE(pump_until([&] { return !said.isEmpty(); }, 30));
  EXPECT_TRUE(said.startsWith("tune: ")) << said.toStdString();
  EXPECT_EQ(tune.statusText(), said);
}
