// Readable where it is used: class names on axes, labelled viridis colour scales, square plane
// maps, values on hover, titles and tick labels that fit at 1024x700, described presets.
#include <gtest/gtest.h>
#include <qcustomplot.h>

#include <QDialog>
#include <QDir>
#include <QLabel>
#include <QListWidget>
#include <QMenuBar>
#include <QMouseEvent>
#include <QSlider>
#include <QTextBrowser>
#include <QToolTip>
#include <cmath>

#include "../core/test_files.h"
#include "experiment_library.h"
#include "expert_view.h"
#include "help_text.h"
#include "loss_plot.h"
#include "main_window.h"
#include "plane_view.h"
#include "plot_style.h"
#include "qt_test_app.h"

using namespace slimlab;

namespace {

// A Fashion-MNIST MoE run: 10 classes routed over 4 experts, class c mostly to expert c % 4.
RunData fashion_moe_run() {
  RunData run;
  run.traits.known = true;
  run.traits.moe = true;
  run.traits.dataset = "fashion-mnist";
  for (int step = 10; step <= 2000; step += 10) {
    run.expert_load.push_back({0, step, {0.4f, 0.3f, 0.2f, 0.1f}, {0.25f, 0.25f, 0.25f, 0.25f}});
  }
  RoutingMatrixRow routing{0, 2000, "validation", 10, 4, {}};
  for (int c = 0; c < 10; ++c) {
    for (int e = 0; e < 4; ++e) routing.counts.push_back(e == c % 4 ? 90 : 10);
  }
  run.routing.push_back(routing);
  return run;
}

QCPColorScale* color_scale(QCustomPlot* plot) {
  for (auto* element : plot->plotLayout()->elements(true)) {
    if (auto* scale = qobject_cast<QCPColorScale*>(element)) return scale;
  }
  return nullptr;
}

QCPTextElement* title(QCustomPlot* plot) {
  return qobject_cast<QCPTextElement*>(plot->plotLayout()->element(0, 0));
}

// Each line of the plot's title fits in the plot's width.
void expect_title_fits(QCustomPlot* plot) {
  auto* text = title(plot);
  ASSERT_NE(text, nullptr);
  QFontMetricsF metrics(text->font());
  for (const auto& line : text->text().split('\n')) {
    EXPECT_LE(metrics.horizontalAdvance(line), plot->width())
        << line.toStdString() << " at " << text->font().pointSizeF() << " pt in " << plot->width()
        << " px";
  }
}

// Neighbouring tick labels of a horizontal axis do not overlap.
void expect_ticks_apart(QCPAxis* axis) {
  const auto ticks = axis->tickVector();
  const auto labels = axis->tickVectorLabels();
  QFontMetricsF metrics(axis->tickLabelFont());
  for (int i = 1; i < ticks.size(); ++i) {
    const double gap = std::abs(axis->coordToPixel(ticks[i]) - axis->coordToPixel(ticks[i - 1]));
    const double needed =
        (metrics.horizontalAdvance(labels[i]) + metrics.horizontalAdvance(labels[i - 1])) / 2;
    EXPECT_GT(gap, needed) << labels[i - 1].toStdString() << " and " << labels[i].toStdString();
  }
}

}  // namespace

TEST(ReadabilityTest, RoutingMatrixNamesTheClassesAndHasLabelledViridisScales) {
  slimlab::testing::qt_app();
  ExpertView view;
  view.resize(1000, 700);
  view.showRun(fashion_moe_run());
  auto* y = view.routingPlot()->yAxis;
  auto ticker = y->ticker().dynamicCast<QCPAxisTickerText>();
  ASSERT_FALSE(ticker.isNull());
  ASSERT_EQ(ticker->ticks().size(), 10);
  EXPECT_EQ(ticker->ticks().value(0), "T-shirt/top");
  EXPECT_EQ(ticker->ticks().value(1), "Trouser");
  EXPECT_EQ(ticker->ticks().value(9), "Ankle boot");
  for (auto* plot : {view.heatmapPlot(), view.routingPlot()}) {
    auto* scale = color_scale(plot);
    ASSERT_NE(scale, nullptr);
    EXPECT_FALSE(scale->label().isEmpty());
    // Viridis: dark purple at the low end, yellow at the high end.
    EXPECT_EQ(scale->gradient().color(0, QCPRange(0, 1)), QColor("#440154").rgb());
    EXPECT_EQ(scale->gradient().color(1, QCPRange(0, 1)), QColor("#fde725").rgb());
  }
  // Hovering a cell names the class, the expert and the share.
  EXPECT_EQ(view.routingTip(1.1, 1.0), "Trouser -> expert 1: 75.0% of the class (90 of 120)");
  EXPECT_EQ(view.routingTip(7.0, 1.0), "");  // Outside the matrix.
  EXPECT_EQ(view.loadTip(1000.0, 2.0), "step 1000, expert 2: 20.0% of assignments");
  // 2-D data has no class names: the classes are numbered.
  RunData spirals = fashion_moe_run();
  spirals.traits.dataset = "spirals";
  spirals.routing.back().classes = 2;
  spirals.routing.back().counts.resize(8);
  view.showRun(spirals);
  ticker = view.routingPlot()->yAxis->ticker().dynamicCast<QCPAxisTickerText>();
  ASSERT_EQ(ticker->ticks().size(), 2);
  EXPECT_EQ(ticker->ticks().value(1), "1");
}

TEST(ReadabilityTest, PlaneMapsKeepEqualScalesAndTheExpertMapHasItsOwnKey) {
  slimlab::testing::qt_app();
  PlaneView view;
  view.resize(1100, 480);  // Wide: each map's axis rect is wider than tall.
  view.show();
  const int n = 8;
  std::vector<int> decision(n * n), expert(n * n);
  for (int i = 0; i < n * n; ++i) {
    decision[size_t(i)] = i % 2;
    expert[size_t(i)] = i % 4;
  }
  view.setMaps(n, -1.5, 1.5, -1.0, 1.0, 2, 4, decision, expert, {0.0, 0.5}, {0.0, 0.5}, {0, 1});
  for (auto* plot : {view.decisionPlot(), view.expertPlot()}) {
    plot->replot();
    auto* rect = plot->axisRect();
    const double x_per_pixel = plot->xAxis->range().size() / rect->width();
    const double y_per_pixel = plot->yAxis->range().size() / rect->height();
    EXPECT_NEAR(x_per_pixel / y_per_pixel, 1.0, 0.01)
        << rect->width() << "x" << rect->height() << " px";
    // The whole plane stays in view.
    EXPECT_LE(plot->xAxis->range().lower, -1.5 + 1e-9);
    EXPECT_GE(plot->yAxis->range().upper, 1.0 - 1e-9);
  }
  // The expert map's key: one entry per expert, in colours that are not the classes'.
  auto* legend = view.expertPlot()->legend;
  QStringList names;
  QList<QColor> expert_colors, class_colors;
  for (int i = 0; i < legend->itemCount(); ++i) {
    auto* item = qobject_cast<QCPPlottableLegendItem*>(legend->item(i));
    if (item == nullptr) continue;  // An empty cell of the wrapped grid.
    names << item->plottable()->name();
    if (auto* bars = qobject_cast<QCPBars*>(item->plottable())) {
      expert_colors << bars->brush().color();
    } else if (auto* graph = qobject_cast<QCPGraph*>(item->plottable())) {
      class_colors << graph->scatterStyle().pen().color();
    }
  }
  EXPECT_TRUE(names.contains("expert 0") && names.contains("expert 3"))
      << names.join(", ").toStdString();
  ASSERT_EQ(expert_colors.size(), 4);
  for (const auto& c : class_colors) {
    for (const auto& e : expert_colors) {
      EXPECT_NE(c.rgb(), e.rgb());
      EXPECT_NE(c.lighter(160).rgb(), e.rgb());  // Nor the class regions' colours.
    }
  }
}

TEST(ReadabilityTest, HoverGivesEachCurvesNearestValueAndDoubleClickResetsTheZoom) {
  slimlab::testing::qt_app();
  LossPlot plot;
  plot.resize(800, 500);
  plot.setSeries("train/loss", {10, 20, 30}, {2.0, 1.0, 0.5});
  plot.setSeries("validation/accuracy", {15, 30}, {0.8, 0.9});
  const QString at22 = plot.valuesAt(22.0);
  EXPECT_TRUE(at22.contains("train loss: 1 at step 20")) << at22.toStdString();
  EXPECT_TRUE(at22.contains("validation accuracy: 80% at step 15")) << at22.toStdString();
  EXPECT_EQ(plot.valuesAt(1000.0).split('\n').first(), "train loss: 0.5 at step 30");
  plot.setSmoothing(0.5);  // Smoothed 2, 1.5, 1: the raw value is shown too.
  EXPECT_TRUE(plot.valuesAt(30.0).contains("train loss: 1 (raw 0.5) at step 30"))
      << plot.valuesAt(30.0).toStdString();
  // A zoom stays while points arrive; resetting fits every curve again.
  plot.plot()->xAxis->setRange(12, 18);
  EXPECT_TRUE(plot.zoomed());
  plot.setSeries("train/loss", {10, 20, 30, 40}, {2.0, 1.0, 0.5, 0.4});
  EXPECT_DOUBLE_EQ(plot.plot()->xAxis->range().upper, 18.0);
  plot.resetZoom();
  EXPECT_FALSE(plot.zoomed());
  EXPECT_DOUBLE_EQ(plot.plot()->xAxis->range().upper, 40.0);
  // Moving the mouse over the plot shows the same text as a tooltip.
  plot.resetZoom();
  plot.show();
  plot.plot()->replot();
  const QPointF at(plot.plot()->xAxis->coordToPixel(20), plot.plot()->yAxis->coordToPixel(1.0));
  QMouseEvent move(QEvent::MouseMove, at, plot.plot()->mapToGlobal(at), Qt::NoButton, Qt::NoButton,
                   Qt::NoModifier);
  QApplication::sendEvent(plot.plot(), &move);
  EXPECT_TRUE(QToolTip::text().contains("train loss: 1.5 (raw 1) at step 20"))
      << QToolTip::text().toStdString();
  // For people to look at (build/release/tests/): the tooltip, and the zoomed plot's button.
  for (auto* top : QApplication::topLevelWidgets()) {
    if (top->inherits("QTipLabel") && top->isVisible()) top->grab().save("loss_tooltip.png");
  }
  plot.plot()->xAxis->setRange(12, 28);
  plot.plot()->replot();
  plot.grab().save("loss_zoomed.png");
  // The legend sits below the axes, not over the curves.
  EXPECT_EQ(qobject_cast<QCPLayoutInset*>(plot.plot()->legend->layout()), nullptr);
}

TEST(ReadabilityTest, FontsGrowWithThePlotAndTitlesAndTicksFitAt1024x700) {
  slimlab::testing::qt_app();
  const auto small = plot_fonts(QSize(390, 270));
  const auto large = plot_fonts(QSize(800, 560));
  EXPECT_GE(small.tick, 9.0);
  EXPECT_GT(large.label, small.label + 2.0);
  EXPECT_GT(large.title, large.label);
  // The Experts tab in a 1024x700 window is about 660x590 pixels.
  ExpertView view;
  view.resize(660, 590);
  view.show();
  view.showRun(fashion_moe_run());
  for (auto* plot : {view.barsPlot(), view.heatmapPlot(), view.routingPlot()}) {
    plot->replot();
    expect_title_fits(plot);
    expect_ticks_apart(plot->xAxis);
    EXPECT_GE(plot->xAxis->tickLabelFont().pointSizeF(), 9.0);
  }
}

TEST(ReadabilityTest, EveryPresetSaysWhatItDoesHowLongItTakesAndWhatItNeeds) {
  slimlab::testing::qt_app();
  const auto entries = experiment_library();
  int shipped = 0;
  for (const auto& e : entries) {
    EXPECT_FALSE(e.description.isEmpty()) << e.title.toStdString();
    EXPECT_TRUE(e.summary().contains(e.description.toHtmlEscaped())) << e.title.toStdString();
    if (e.title.endsWith(")")) continue;  // The user's own "(mine)" specs.
    ++shipped;
    EXPECT_TRUE(e.runtime.startsWith("about")) << e.title.toStdString();
    if (e.title.startsWith("kd-")) {
      EXPECT_TRUE(e.needs.contains("finished run")) << e.title.toStdString();
    }
  }
  EXPECT_EQ(
      shipped,
      QDir(QString(SLIMLAB_SOURCE_DIR) + "/experiments").entryList({"*.json"}, QDir::Files).size());
  for (const auto& e : entries) {
    if (e.title == "kd-two-teachers") {
      EXPECT_EQ(e.needs, "finished runs named cnn-fashion and mlp-fashion");
    }
    if (e.title == "moe-upcycle") {
      EXPECT_EQ(e.needs, "a finished run named moe-fashion-dense");
    }
  }
}

TEST(ReadabilityTest, HelpListsTheMenusShortcutsAndTheWindowShowsPresetsAndSmoothing) {
  slimlab::testing::qt_app();
  slimlab::testing::TempDir dir;
  MainWindow window(QString::fromStdString(dir.file("none.sqlite")));
  window.setInteractive(false);
  const QString keys = shortcuts_html(window.menuBar());
  // Read from the menus: whatever buildActions sets is listed.
  for (const char* expected :
       {"Ctrl+R", "Run &gt; Start", "Ctrl+E", "F1", "Help &gt; Quick start"}) {
    EXPECT_TRUE(keys.contains(expected)) << expected << " missing from " << keys.toStdString();
  }
  EXPECT_TRUE(quick_start_html().contains("Compare"));
  // The label under the library describes the chosen preset.
  auto* info = window.findChild<QLabel*>("preset-info");
  ASSERT_NE(info, nullptr);
  auto* library = window.findChild<QListWidget*>();
  for (int i = 0; i < library->count(); ++i) {
    if (library->item(i)->text() == "kd-cnn-to-mlp") library->setCurrentRow(i);
  }
  EXPECT_TRUE(info->text().contains("a finished run named cnn-fashion"))
      << info->text().toStdString();
  // The smoothing weight is shown next to its slider.
  window.findChild<QSlider*>()->setValue(60);
  EXPECT_EQ(window.findChild<QLabel*>("smoothing-value")->text(), "0.60");
  // The help windows, for people to look at: build/release/tests/help_*.png.
  show_help(&window, "Keyboard shortcuts", keys);
  show_help(&window, "Quick start", quick_start_html());
  auto dialogs = window.findChildren<QDialog*>();
  ASSERT_EQ(dialogs.size(), 2);
  dialogs[0]->grab().save("help_shortcuts.png");
  dialogs[1]->grab().save("help_quick_start.png");
  window.resize(1024, 700);
  window.show();
  QApplication::processEvents();
  for (auto* plot : window.findChildren<QCustomPlot*>()) plot->replot();
  window.grab().save("window_1024x700.png");
}
