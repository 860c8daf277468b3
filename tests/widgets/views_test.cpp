// The run views on hand-made RunData: what each plot holds, offscreen.
#include <gtest/gtest.h>
#include <qcustomplot.h>

#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QLineEdit>
#include <QTabWidget>
#include <QTableWidget>
#include <cmath>

#include "distill_view.h"
#include "expert_view.h"
#include "plot_style.h"
#include "qt_test_app.h"
#include "run_table.h"
#include "series_plot.h"
#include "sparsity_view.h"
#include "spec_form.h"
#include "summary_view.h"

using namespace slimlab;

namespace {

void add(RunData& run, const std::string& key, int64_t step, double value, int64_t wall_ms = 0) {
  run.metrics[key].push_back({key, step, wall_ms, value});
}

}  // namespace

TEST(SeriesPlotTest, SmoothsWithAnEmaAndSwitchesAxes) {
  slimlab::testing::qt_app();
  SeriesPlot plot("loss", "");
  plot.setStyles({{"train/loss", "loss", Qt::blue}});
  RunData run;
  run.steps_per_epoch = 10;
  for (int i = 1; i <= 4; ++i) add(run, "train/loss", 10 * i, i % 2 ? 1.0 : 0.0, 1000 * i);
  plot.showRun(run);
  auto* data = plot.plot()->graph(0)->data().data();
  EXPECT_DOUBLE_EQ((data->begin() + 1)->value, 0.0);
  plot.setSmoothing(0.5);  // s = 0.5 s + 0.5 x: 1, 0.5, 0.75, 0.375.
  EXPECT_DOUBLE_EQ((data->begin() + 3)->value, 0.375);
  plot.setXAxisMode(XAxisMode::Epoch);
  EXPECT_DOUBLE_EQ((data->end() - 1)->key, 4.0);
  plot.setXAxisMode(XAxisMode::WallSeconds);
  EXPECT_DOUBLE_EQ((data->end() - 1)->key, 3.0);  // From the first point's wall time.
  // Appending a live record extends the smoothed curve without a redraw from scratch.
  RunData more;
  add(more, "train/loss", 50, 1.0, 5000);
  plot.append(more);
  EXPECT_EQ(plot.plot()->graph(0)->dataCount(), 5);
  EXPECT_DOUBLE_EQ((data->end() - 1)->value, 0.5 * 0.375 + 0.5);
  plot.setLogScale(true);
  EXPECT_EQ(plot.plot()->yAxis->scaleType(), QCPAxis::stLogarithmic);
}

TEST(ExpertViewTest, DrawsLoadBarsHeatmapAndRoutingShares) {
  slimlab::testing::qt_app();
  ExpertView view;
  view.resize(1000, 700);
  RunData run;
  run.expert_load.push_back({0, 10, {0.5f, 0.5f, 0.0f, 0.0f}, {0.25f, 0.25f, 0.25f, 0.25f}});
  run.expert_load.push_back({0, 20, {0.4f, 0.3f, 0.3f, 0.0f}, {0.25f, 0.25f, 0.25f, 0.25f}});
  run.routing.push_back({0, 20, "validation", 2, 4, {3, 1, 0, 0, 0, 0, 2, 2}});
  add(run, "moe/0/load_cv", 20, 0.4);
  view.showRun(run);
  auto* live = qobject_cast<QCPBars*>(view.barsPlot()->plottable(0));
  auto* dead = qobject_cast<QCPBars*>(view.barsPlot()->plottable(1));
  EXPECT_EQ(live->data()->size(), 3);  // Latest window: experts 0, 1, 2 live.
  EXPECT_EQ(dead->data()->size(), 1);  // Expert 3 received nothing: dead.
  EXPECT_NEAR(live->data()->begin()->value, 40.0, 1e-4);
  auto* heat = qobject_cast<QCPColorMap*>(view.heatmapPlot()->plottable(0));
  EXPECT_EQ(heat->data()->keySize(), 2);
  EXPECT_EQ(heat->data()->valueSize(), 4);
  EXPECT_DOUBLE_EQ(heat->data()->cell(0, 0), 50.0);
  auto* matrix = qobject_cast<QCPColorMap*>(view.routingPlot()->plottable(0));
  EXPECT_DOUBLE_EQ(matrix->data()->cell(0, 0), 75.0);  // Class 0: 3 of 4 to expert 0.
  EXPECT_DOUBLE_EQ(matrix->data()->cell(3, 1), 50.0);
}

TEST(SparsityViewTest, BarsPerLayerAgainstTargetAndGlobalOverTime) {
  slimlab::testing::qt_app();
  SparsityView view;
  RunData run;
  add(run, "sparsity/layers.0", 10, 0.5);
  add(run, "sparsity/layers.0", 20, 0.92);
  add(run, "sparsity/layers.2", 20, 0.74);
  add(run, "sparsity/global", 10, 0.45);
  add(run, "sparsity/global", 20, 0.9);
  add(run, "sparsity/target", 10, 0.45);
  add(run, "sparsity/target", 20, 0.9);
  run.events.push_back({10, 0, "prune", "{}"});
  view.showRun(run);
  auto* bars = qobject_cast<QCPBars*>(view.layerPlot()->plottable(0));
  ASSERT_EQ(bars->data()->size(), 2);
  EXPECT_DOUBLE_EQ(bars->data()->begin()->value, 92.0);
  EXPECT_EQ(view.globalPlot()->plot()->graph(0)->dataCount(), 2);
  EXPECT_EQ(view.globalPlot()->plot()->itemCount(), 1);  // The prune step's marker.
  view.setWeightHistogram({-3, -2, -1}, {5, 7}, 0.001);
  EXPECT_FALSE(view.grab().isNull());
}

TEST(DistillViewTest, ShowsLossPartsAndStudentTeacherAgreement) {
  slimlab::testing::qt_app();
  DistillView view;
  RunData run;
  add(run, "train/kd_hard", 10, 0.6);
  add(run, "train/kd_soft", 10, 0.2);
  add(run, "validation/accuracy", 10, 0.85);
  add(run, "validation/teacher_accuracy", 10, 0.9);
  add(run, "validation/agreement", 10, 0.88);
  view.showRun(run);
  EXPECT_EQ(view.lossPlot()->plot()->graph(0)->dataCount(), 1);
  EXPECT_EQ(view.lossPlot()->plot()->graph(1)->dataCount(), 1);
  EXPECT_DOUBLE_EQ(view.accuracyPlot()->plot()->graph(1)->data()->begin()->value, 90.0);
}

TEST(RunTableTest, FiltersByTextKindAndStatusAndSortsNumbersAsNumbers) {
  slimlab::testing::qt_app();
  RunTable table;
  RunSummary a{1, "mlp", "train", "finished", 0, 0.9, 200000, 200000, -1, {"lesson-1"}, "", {}};
  RunSummary b{2, "pruned", "prune", "finished", 0, 0.89, 27000, 27000, 2.2, {}, "90% sparse", {}};
  RunSummary c{3, "kd", "distill", "cancelled", 0, -1, 50000, 50000, -1, {}, "", {}};
  table.setRuns({a, b, c});
  EXPECT_EQ(table.visibleRows(), 3);
  table.findChild<QLineEdit*>()->setText("lesson");
  EXPECT_EQ(table.visibleRows(), 1);
  table.findChild<QLineEdit*>()->setText("sparse");  // Notes are searched too.
  EXPECT_EQ(table.visibleRows(), 1);
  table.findChild<QLineEdit*>()->clear();
  auto combos = table.findChildren<QComboBox*>();
  combos[0]->setCurrentText("prune");
  EXPECT_EQ(table.visibleRows(), 1);
  combos[0]->setCurrentIndex(0);
  combos[1]->setCurrentText("cancelled");
  EXPECT_EQ(table.visibleRows(), 1);
  combos[1]->setCurrentIndex(0);
  table.table()->sortItems(5, Qt::AscendingOrder);  // params: 27000 < 50000 < 200000.
  EXPECT_EQ(table.table()->item(0, 1)->text(), "pruned");
  EXPECT_EQ(table.table()->item(2, 1)->text(), "mlp");
  // Any metric can be the last column, and sorts as a number.
  a.last["validation/loss"] = 0.31;
  b.last["validation/loss"] = 0.29;
  c.last["validation/loss"] = 0.4;
  table.setRuns({a, b, c});
  table.table()->sortItems(10, Qt::AscendingOrder);
  EXPECT_EQ(table.table()->horizontalHeaderItem(10)->text(), "validation/loss");
  EXPECT_EQ(table.table()->item(0, 1)->text(), "pruned");
  EXPECT_EQ(table.table()->item(2, 1)->text(), "kd");
  // A run of several methods shows under each of them.
  RunSummary d{4, "kd-pruned", "distill+prune", "finished", 0, 0.88, 1, 1, -1, {}, "", {}};
  table.setRuns({a, b, c, d});
  combos[0]->setCurrentText("prune");
  EXPECT_EQ(table.visibleRows(), 2);
  combos[0]->setCurrentText("lowrank");  // Registered methods are listed too.
  EXPECT_EQ(combos[0]->currentText(), "lowrank");
  EXPECT_EQ(table.visibleRows(), 0);
}

TEST(SummaryViewTest, ShowsARegisteredMethodsFiguresAndTableWithoutAViewOfItsOwn) {
  slimlab::testing::qt_app();
  SummaryView view;
  RunData run;
  run.id = 7;
  run.name = "lowrank-mlp";
  view.showRun(run);
  EXPECT_FALSE(SummaryView::hasSummary(run));
  EXPECT_TRUE(view.html().contains("appears when the run ends"));
  run.events.push_back({1266, 0, "summary", R"({"status": "finished", "params": 59658,
      "lowrank": {"latency": {"speedup": 2.077}, "layers": [
        {"rank": 48, "layer": "layers.0", "shape": [256, 784]},
        {"rank": 21, "layer": "layers.3", "shape": [128, 256]}]}})"});
  EXPECT_TRUE(SummaryView::hasSummary(run));
  view.showRun(run);
  const QString html = view.html();
  EXPECT_TRUE(html.contains("Low-rank factorisation")) << html.toStdString();
  EXPECT_TRUE(html.contains("latency.speedup"));
  EXPECT_TRUE(html.contains("2.077"));
  EXPECT_TRUE(html.contains("256x784"));
  EXPECT_TRUE(html.contains("59658"));
  // "layer" is the table's first column, before "rank" and "shape".
  EXPECT_LT(html.indexOf(">layer<"), html.indexOf(">rank<"));
}

TEST(SpecFormTest, IsGeneratedFromTheSpecAndValidatesEachEdit) {
  slimlab::testing::qt_app();
  SpecForm form;
  form.setSpec(nlohmann::json::parse(R"({"name": "f", "data": {"dataset": "spirals"},
      "model": {"kind": "mlp", "hidden": [32]}})"));
  EXPECT_TRUE(form.valid());
  ASSERT_NE(form.editor("model.hidden"), nullptr);
  ASSERT_NE(form.editor("optimizer.lr"), nullptr);
  EXPECT_EQ(form.editor("model.moe.experts"), nullptr);  // Not an option of an mlp.
  EXPECT_TRUE(form.editor("optimizer.lr")->toolTip().contains("Learning rate"));
  auto* lr = qobject_cast<QDoubleSpinBox*>(form.editor("optimizer.lr"));
  lr->setValue(0.05);
  EXPECT_DOUBLE_EQ(form.spec()["optimizer"]["lr"].get<double>(), 0.05);
  // A bad value is refused on its field, with the reader's message.
  qobject_cast<QLineEdit*>(form.editor("model.hidden"))->setText("[-3]");
  EXPECT_FALSE(form.valid());
  EXPECT_TRUE(form.problem().startsWith("model.hidden[0]")) << form.problem().toStdString();
  EXPECT_TRUE(form.editor("model.hidden")->styleSheet().contains("border"));
  qobject_cast<QLineEdit*>(form.editor("model.hidden"))->setText("[64, 64]");
  EXPECT_TRUE(form.valid());
  // Another model kind brings its own fields.
  qobject_cast<QComboBox*>(form.editor("model.kind"))->setCurrentText("moe-mlp");
  ASSERT_NE(form.editor("model.moe.experts"), nullptr);
  EXPECT_TRUE(form.editor("model.moe.balance_loss")->toolTip().contains("f_i P_i"));
  EXPECT_EQ(form.spec()["model"]["kind"], "moe-mlp");
  form.resize(560, 900);
  form.show();
  form.grab().save("spec_form.png");  // For people to look at: build/release/tests/.
}

TEST(SpecFormTest, AChoiceThatCannotApplyKeepsTheFormAndSaysWhy) {
  slimlab::testing::qt_app();
  SpecForm form;
  form.setSpec(nlohmann::json::parse(R"({"data": {"dataset": "spirals"}})"));
  qobject_cast<QComboBox*>(form.editor("model.kind"))->setCurrentText("cnn");
  EXPECT_FALSE(form.valid());
  EXPECT_TRUE(form.problem().contains("cnn")) << form.problem().toStdString();
  ASSERT_NE(form.editor("model.hidden"), nullptr);  // The form is still there to fix it.
}

TEST(SpecFormTest, PruningAndDistillationSectionsCanBeAddedAndRemoved) {
  slimlab::testing::qt_app();
  SpecForm form;
  form.setSpec(nlohmann::json::parse(R"({"data": {"dataset": "spirals"}})"));
  EXPECT_EQ(form.editor("prune.sparsity"), nullptr);
  auto* prune = form.findChild<QCheckBox*>("section:prune");
  ASSERT_NE(prune, nullptr);
  prune->setChecked(true);
  ASSERT_NE(form.editor("prune.sparsity"), nullptr);  // With the defaults filled in.
  EXPECT_TRUE(form.valid());
  EXPECT_DOUBLE_EQ(form.spec()["prune"]["sparsity"].get<double>(), 0.5);
  form.findChild<QCheckBox*>("section:distill")->setChecked(true);
  ASSERT_NE(form.editor("distill.teachers[0].run"), nullptr);
  EXPECT_TRUE(form.valid());
  form.findChild<QCheckBox*>("section:prune")->setChecked(false);
  EXPECT_EQ(form.editor("prune.sparsity"), nullptr);
  EXPECT_FALSE(form.spec().contains("prune"));
  EXPECT_TRUE(form.spec().contains("distill"));
  // The registered methods' sections come from the registry, with their fields.
  auto* lowrank = form.findChild<QCheckBox*>("section:lowrank");
  ASSERT_NE(lowrank, nullptr);
  lowrank->setChecked(true);
  ASSERT_NE(form.editor("lowrank.rank_ratio"), nullptr);
  EXPECT_DOUBLE_EQ(form.spec()["lowrank"]["rank_ratio"].get<double>(), 0.25);
  ASSERT_NE(form.findChild<QCheckBox*>("section:quant"), nullptr);
}

// A plot given new data while its tab is in the back draws nothing then, and draws that data
// once its tab comes to the front (the Compare tab once showed the previous runs instead).
TEST(PlotStyleTest, APlotFilledWhileHiddenRedrawsWhenShown) {
  slimlab::testing::qt_app();
  QTabWidget tabs;
  auto* front = new QWidget;
  auto* plot = new QCustomPlot;
  tabs.addTab(front, "front");
  tabs.addTab(plot, "back");
  tabs.resize(400, 300);
  tabs.show();
  slimlab::testing::pump_until([] { return false; }, 0.2);
  int replots = 0;
  QObject::connect(plot, &QCustomPlot::afterReplot, [&] { ++replots; });
  plot->addGraph()->setData({0, 1, 2}, {1, 2, 3});
  request_replot(plot);
  slimlab::testing::pump_until([] { return false; }, 0.2);
  EXPECT_EQ(replots, 0);  // Hidden: nothing drawn now.
  tabs.setCurrentIndex(1);
  EXPECT_TRUE(slimlab::testing::pump_until([&] { return replots > 0; }, 2));
}
