// Compressed runs at their real size: the run table and the Compare tab's Pareto plot count
// parameters and MACs as `slimlab-cli show --layers` does, and a Pareto point opens its run.
#include <gtest/gtest.h>
#include <qcustomplot.h>

#include <QComboBox>
#include <QMouseEvent>
#include <QTableWidget>
#include <QToolTip>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "../core/test_files.h"
#include "../widgets/qt_test_app.h"
#include "compare_view.h"
#include "run_costs.h"
#include "run_loading.h"
#include "run_table.h"

using namespace slimlab;
using nlohmann::json;

namespace {

/// `compare` shown at 1024x700 with `runs` on its Pareto plot (none selected), drawn.
QCustomPlot* show_pareto(CompareView& compare, const std::vector<RunSummary>& runs) {
  compare.resize(1024, 700);
  compare.show();
  compare.setRuns({}, {}, runs);
  compare.paretoPlot()->replot();
  return compare.paretoPlot();
}

// The cost columns of RunTable (id, name, kind, status, test acc., params, MACs, ...).
constexpr int kParamsColumn = 5;
constexpr int kMacsColumn = 6;

// Runs slimlab-cli on `db`; its stdout.
std::string cli(const std::string& db, const std::string& args, const std::string& out_file) {
  std::string command = std::string(SLIMLAB_CLI) + " --db " + db + " " + args + " >" + out_file;
  EXPECT_EQ(std::system(command.c_str()), 0) << command;
  std::ifstream in(out_file);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// A press, release (left button) or move (no button) at `at`, as the mouse sends it.
void mouse(QWidget* widget, QPointF at, QEvent::Type type) {
  const bool move = type == QEvent::MouseMove;
  QMouseEvent event(type, at, widget->mapToGlobal(at), move ? Qt::NoButton : Qt::LeftButton,
                    type == QEvent::MouseButtonPress ? Qt::LeftButton : Qt::NoButton,
                    Qt::NoModifier);
  QApplication::sendEvent(widget, &event);
}

QPointF pixelOf(QCustomPlot* plot, double x, double y) {
  return {plot->xAxis->coordToPixel(x), plot->yAxis->coordToPixel(y)};
}

}  // namespace

TEST(RunCostTest, ShrunkNetworksCountPhysicallyAndMixturesOfExpertsByTheActiveExperts) {
  // A structured prune report (the shape prune_report() stores): the shrunk network counts.
  json summary = {{"params", 1000},
                  {"params_active", 1000},
                  {"macs_per_sample", 900},
                  {"macs_all_experts", 900},
                  {"prune", {{"latency_masked_ms", 2.0}, {"latency_shrunk_ms", 0.5}}}};
  json report = {
      {"before", {{"params", 1000}, {"nonzeros", 1000}, {"macs", 900}, {"bytes_dense", 4000}}},
      {"masked", {{"params", 1000}, {"nonzeros", 400}, {"nonzero_macs", 350}, {"bytes_csr", 3300}}},
      {"shrunk", {{"params", 420}, {"nonzeros", 420}, {"macs", 380}, {"bytes_dense", 1680}}}};
  RunSummary shrunk;
  read_run_cost(shrunk, summary, report);
  EXPECT_EQ(shrunk.cost_basis, CostBasis::Physical);
  EXPECT_EQ(shrunk.params, 420);
  EXPECT_EQ(shrunk.macs, 380);
  EXPECT_EQ(shrunk.dense_params, 1000);
  EXPECT_EQ(shrunk.dense_macs, 900);
  EXPECT_DOUBLE_EQ(shrunk.latency_ms, 0.5);
  EXPECT_EQ(shrunk.bytes, 1680);  // 420 fp32 parameters.
  EXPECT_EQ(shrunk.dense_bytes, 4000);

  // Without "shrunk" (unstructured masks): the non-zero figures of the masked network.
  report.erase("shrunk");
  RunSummary masked;
  read_run_cost(masked, summary, report);
  EXPECT_EQ(masked.cost_basis, CostBasis::NonZero);
  EXPECT_EQ(masked.params, 400);
  EXPECT_EQ(masked.macs, 350);
  EXPECT_EQ(masked.bytes, 3300);  // CSR: values and indices, as show --layers stores it.
  EXPECT_EQ(costText(masked.params, masked.dense_params), "400 of 1,000");

  // An MoE run, 2 of 8 experts per sample: what `show` prints as active.
  RunSummary moe;
  read_run_cost(moe,
                {{"params", 50000},
                 {"params_active", 14000},
                 {"macs_per_sample", 13000},
                 {"macs_all_experts", 49000}},
                nullptr);
  EXPECT_EQ(moe.cost_basis, CostBasis::Active);
  EXPECT_EQ(moe.params, 14000);
  EXPECT_EQ(moe.dense_params, 50000);
  EXPECT_EQ(moe.macs, 13000);
  EXPECT_EQ(moe.dense_macs, 49000);
  EXPECT_EQ(moe.bytes, 200000);  // Every expert stays in memory: all 50,000 parameters.

  // A dense run counts everything; a running one (no summary yet) nothing.
  RunSummary dense, running;
  read_run_cost(dense, {{"params", 5000}, {"params_active", 5000}, {"macs_per_sample", 4900}},
                nullptr);
  EXPECT_EQ(dense.cost_basis, CostBasis::Dense);
  EXPECT_EQ(costText(dense.params, dense.dense_params), "5,000");
  read_run_cost(running, nullptr, nullptr);
  EXPECT_EQ(running.params, 0);
}

TEST(RunCostTest, FourSparsitiesSitAtFourCostsMatchingShowLayersAndOpenOnClick) {
  if (!std::filesystem::exists("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz")) {
    GTEST_SKIP() << "dataset-fashion-mnist is not installed";
  }
  slimlab::testing::qt_app();
  slimlab::testing::TempDir dir;
  const auto db = dir.file("runs.sqlite");
  const std::vector<double> sparsities = {0.8, 0.9, 0.95, 0.98};
  for (double s : sparsities) {
    // The LeNet-300-100 AGP preset, cut to a few seconds: 3000 examples, 2 epochs (44 steps),
    // four prune rounds from step 5.
    cli(db,
        "run " + std::string(SLIMLAB_SOURCE_DIR) +
            "/experiments/prune-lenet300-agp.json --quiet --set data.train_subset=3000 "
            "--set data.test_subset=1000 --set schedule.epochs=2 --set prune.start_step=5 "
            "--set prune.frequency=5 --set prune.rounds=4 --set prune.sparsity=" +
            std::to_string(s),
        dir.file("run.out"));
  }

  auto runs = load_run_summaries(db);
  ASSERT_EQ(runs.size(), 4u);
  std::set<qint64> params;
  for (size_t i = 0; i < runs.size(); ++i) {
    const auto& r = runs[i];
    SCOPED_TRACE("run " + std::to_string(r.id) + " at sparsity " + std::to_string(sparsities[i]));
    auto shown = json::parse(
        cli(db, "show " + std::to_string(r.id) + " --layers --json", dir.file("show.out")));
    const auto& totals = shown["layers"]["table"]["totals"];
    EXPECT_EQ(r.cost_basis, CostBasis::NonZero);
    EXPECT_EQ(r.params, totals["nonzeros"].get<qint64>());
    EXPECT_EQ(r.macs, totals["nonzero_macs"].get<qint64>());
    EXPECT_EQ(r.dense_params, shown["layers"]["report"]["before"]["params"].get<qint64>());
    EXPECT_EQ(r.dense_params, 266610);  // 784*300+300 + 300*100+100 + 100*10+10.
    EXPECT_EQ(r.dense_macs, 266200);
    EXPECT_EQ(r.bytes, shown["layers"]["table"]["bytes"]["csr"].get<qint64>());
    EXPECT_EQ(r.dense_bytes, 4 * 266610);
    // AGP reaches the target over the pruned weights (biases stay): about (1 - s) of them.
    EXPECT_NEAR(double(r.params), (1 - sparsities[i]) * 266200 + 410, 0.01 * 266200);
    params.insert(r.params);
  }
  EXPECT_EQ(params.size(), 4u);

  // The table: the real figure, "of" the dense one, sorted as numbers.
  RunTable table;
  table.setRuns(runs);
  EXPECT_EQ(table.table()->item(0, kParamsColumn)->text(), costText(runs[0].params, 266610));
  EXPECT_TRUE(table.table()->item(0, kParamsColumn)->text().endsWith(" of 266,610"));
  EXPECT_TRUE(table.table()->item(0, kMacsColumn)->toolTip().contains("effective MACs"));
  EXPECT_TRUE(table.table()->horizontalHeaderItem(kParamsColumn)->toolTip().contains("non-zero"));
  table.table()->sortItems(kParamsColumn, Qt::AscendingOrder);
  EXPECT_EQ(table.table()->item(0, 0)->text(), QString::number(runs[3].id));  // 98%: fewest.
  EXPECT_EQ(table.table()->item(3, 0)->text(), QString::number(runs[0].id));

  // The Pareto: four points at four costs, on an axis that names the count.
  CompareView compare;
  auto* pareto = show_pareto(compare, runs);
  auto* points = qobject_cast<QCPCurve*>(pareto->plottable(0));
  ASSERT_NE(points, nullptr);
  ASSERT_EQ(points->dataCount(), 4);
  std::set<double> xs;
  std::set<int> pixels;
  for (auto it = points->data()->begin(); it != points->data()->end(); ++it) {
    xs.insert(it->key);
    pixels.insert(int(pareto->xAxis->coordToPixel(it->key)));
  }
  EXPECT_EQ(xs.size(), 4u);
  EXPECT_EQ(pixels.size(), 4u);
  EXPECT_EQ(*xs.begin(), double(runs[3].params));
  EXPECT_TRUE(pareto->xAxis->label().startsWith("non-zero parameters"))
      << pareto->xAxis->label().toStdString();
  EXPECT_EQ(pareto->xAxis->scaleType(), QCPAxis::stLinear);  // 53,650 to 5,734: under 10x.

  // A click at a point's pixel opens that run; one far from every point opens nothing.
  std::vector<qint64> opened;
  QObject::connect(&compare, &CompareView::runActivated, [&](qint64 id) { opened.push_back(id); });
  const auto& r = runs[1];
  const QPointF at = pixelOf(pareto, double(r.params), 100 * r.test_accuracy);
  mouse(pareto, at, QEvent::MouseButtonPress);
  mouse(pareto, at, QEvent::MouseButtonRelease);
  ASSERT_EQ(opened.size(), 1u);
  EXPECT_EQ(opened[0], r.id);
  const QPointF empty(pareto->axisRect()->left() + 3, pareto->axisRect()->top() + 3);
  mouse(pareto, empty, QEvent::MouseButtonPress);
  mouse(pareto, empty, QEvent::MouseButtonRelease);
  EXPECT_EQ(opened.size(), 1u);

  // Hovering names the run with its figures.
  mouse(pareto, at + QPointF(3, -2), QEvent::MouseMove);
  EXPECT_TRUE(QToolTip::text().contains(QString("#%1").arg(r.id)))
      << QToolTip::text().toStdString();
  EXPECT_TRUE(QToolTip::text().contains(costText(r.params, 266610) + " non-zero parameters"))
      << QToolTip::text().toStdString();

  // Their dense parent beside them: 46x wider, so a log axis, and a label naming both counts.
  cli(db,
      "run " + std::string(SLIMLAB_SOURCE_DIR) +
          "/experiments/mlp-fashion.json --quiet --set data.train_subset=3000 "
          "--set data.test_subset=1000 --set schedule.epochs=2 --set model.hidden=[300,100]",
      dir.file("run.out"));
  auto all = load_run_summaries(db);
  ASSERT_EQ(all.size(), 5u);
  EXPECT_EQ(all[4].cost_basis, CostBasis::Dense);
  EXPECT_EQ(all[4].params, 266610);
  RunData chosen;
  chosen.id = runs[1].id;
  compare.setRuns({chosen}, {json::object()}, all);
  pareto->replot();
  EXPECT_EQ(pareto->xAxis->scaleType(), QCPAxis::stLogarithmic);
  EXPECT_TRUE(pareto->xAxis->label().contains("parameters (dense runs)"));
  EXPECT_TRUE(pareto->xAxis->label().contains("non-zero parameters (pruned runs)"));
  ASSERT_EQ(pareto->plottable(0)->interface1D()->dataCount(), 5);
  EXPECT_EQ(pareto->plottable(1)->interface1D()->dataCount(), 1);  // The selected run, ringed.
  opened.clear();
  const QPointF dense = pixelOf(pareto, 266610, 100 * all[4].test_accuracy);
  mouse(pareto, dense, QEvent::MouseButtonPress);
  mouse(pareto, dense, QEvent::MouseButtonRelease);
  EXPECT_EQ(opened, std::vector<qint64>{all[4].id});

  // For people to look at: the tab, and the tooltip of a hovered point.
  QApplication::processEvents();
  compare.grab().save("/tmp/run_costs_compare.png");
  mouse(pareto, dense, QEvent::MouseMove);
  for (auto* widget : QApplication::topLevelWidgets()) {
    if (widget->inherits("QTipLabel") && widget->isVisible()) {
      widget->grab().save("/tmp/run_costs_tooltip.png");
    }
  }
  auto combos = compare.findChildren<QComboBox*>();  // The metric, then "Pareto against".
  ASSERT_EQ(combos.size(), 2);
  combos[1]->setCurrentIndex(1);
  pareto->replot();
  EXPECT_TRUE(pareto->xAxis->label().contains("effective MACs per sample (pruned runs)"));
  compare.grab().save("/tmp/run_costs_compare_macs.png");
  table.resize(1000, 260);
  table.show();
  QApplication::processEvents();
  table.grab().save("/tmp/run_costs_table.png");
}

TEST(RunCostTest, ParetoLabelsOfNearbyPointsDoNotOverlap) {
  slimlab::testing::qt_app();
  std::vector<RunSummary> runs;
  for (int i = 0; i < 5; ++i) {  // Five runs within a few pixels of one another.
    RunSummary r;
    r.id = i + 1;
    r.name = "near";
    r.status = "finished";
    r.test_accuracy = 0.8 + 0.0005 * i;
    r.params = r.dense_params = 1000 + 2 * i;
    runs.push_back(r);
  }
  runs.push_back(runs[0]);  // And one far away, for an axis range.
  runs.back().id = 6;
  runs.back().params = 5000;
  runs.back().test_accuracy = 0.9;
  CompareView compare;
  auto* pareto = show_pareto(compare, runs);
  std::vector<QRectF> labels;
  for (int i = 0; i < pareto->itemCount(); ++i) {
    auto* text = qobject_cast<QCPItemText*>(pareto->item(i));
    if (text == nullptr) continue;
    labels.emplace_back(text->topLeft->pixelPosition(), text->bottomRight->pixelPosition());
  }
  ASSERT_EQ(labels.size(), 6u);
  for (size_t a = 0; a < labels.size(); ++a) {
    for (size_t b = a + 1; b < labels.size(); ++b) {
      EXPECT_FALSE(labels[a].intersects(labels[b])) << "labels " << a << " and " << b;
    }
  }
  compare.grab().save("/tmp/run_costs_near.png");
}
