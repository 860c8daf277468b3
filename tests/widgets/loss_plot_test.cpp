#include <gtest/gtest.h>
#include <qcustomplot.h>

#include "loss_plot.h"
#include "qt_test_app.h"

using namespace slimlab;

TEST(LossPlotTest, ShowsLossOnLeftAndAccuracyInPercentOnRight) {
  slimlab::testing::qt_app();
  LossPlot plot;
  plot.resize(800, 500);
  plot.setSeries("train/loss", {10, 20, 30}, {2.0, 1.0, 0.5});
  plot.setSeries("validation/accuracy", {10, 20, 30}, {0.5, 0.8, 0.9});
  auto* p = plot.plot();
  ASSERT_EQ(p->graphCount(), 4);
  EXPECT_EQ(p->graph(0)->name(), "train loss");
  EXPECT_EQ(p->graph(0)->dataCount(), 3);
  EXPECT_EQ(p->graph(0)->valueAxis(), p->yAxis);
  EXPECT_EQ(p->graph(3)->valueAxis(), p->yAxis2);
  EXPECT_DOUBLE_EQ((p->graph(3)->data()->end() - 1)->value, 90.0);
  EXPECT_DOUBLE_EQ(p->xAxis->range().upper, 30.0);
  EXPECT_GE(p->yAxis->range().upper, 2.0);
  plot.clear();
  EXPECT_EQ(p->graph(0)->dataCount(), 0);
}

TEST(LossPlotTest, RendersToAnImage) {
  slimlab::testing::qt_app();
  LossPlot plot;
  plot.resize(640, 400);
  plot.setSeries("train/loss", {1, 2, 3, 4}, {1.0, 0.6, 0.4, 0.3});
  plot.setTitle("test");
  plot.show();
  QImage image = plot.grab().toImage();
  EXPECT_EQ(image.width(), 640);
  // Something other than the white background was drawn (axes, curve, legend).
  int dark = 0;
  for (int y = 0; y < image.height(); y += 2) {
    for (int x = 0; x < image.width(); x += 2) dark += qGray(image.pixel(x, y)) < 128;
  }
  EXPECT_GT(dark, 200);
}
