#include <gtest/gtest.h>

#include "data/toy2d.h"

using namespace slimlab;

class Toy2dTest : public ::testing::TestWithParam<DatasetKind> {};

TEST_P(Toy2dTest, SameSeedSamePointsOtherSeedOtherPoints) {
  auto a = make_toy2d(GetParam(), 400, 3, 0.1, 7);
  auto b = make_toy2d(GetParam(), 400, 3, 0.1, 7);
  auto c = make_toy2d(GetParam(), 400, 3, 0.1, 8);
  EXPECT_TRUE(torch::equal(a.x, b.x));
  EXPECT_TRUE(torch::equal(a.y, b.y));
  EXPECT_FALSE(torch::equal(a.x, c.x));
}

TEST_P(Toy2dTest, ShapesRangesAndClassBalance) {
  auto kind = GetParam();
  int64_t classes = toy2d_classes(kind, 3);
  auto d = make_toy2d(kind, 600, 3, 0.05, 1);
  ASSERT_EQ(d.x.sizes(), (std::vector<int64_t>{600, 2}));
  ASSERT_EQ(d.y.sizes(), (std::vector<int64_t>{600}));
  EXPECT_LT(d.x.abs().max().item<float>(), 2.5f);
  auto counts = torch::bincount(d.y, {}, classes);
  ASSERT_EQ(counts.size(0), classes);
  for (int64_t c = 0; c < classes; ++c) {
    // Xor labels come from the quadrant, so only roughly balanced; the others exactly.
    EXPECT_NEAR(counts[c].item<int64_t>(), 600 / classes, kind == DatasetKind::Xor ? 60 : 1)
        << "class " << c;
  }
}

INSTANTIATE_TEST_SUITE_P(AllSets, Toy2dTest,
                         ::testing::Values(DatasetKind::Spirals, DatasetKind::Moons,
                                           DatasetKind::Circles, DatasetKind::Blobs,
                                           DatasetKind::Xor),
                         [](const auto& info) { return std::string(dataset_name(info.param)); });

TEST(Toy2dGeometryTest, CirclesHaveTheirRadiiAndMoonsInterleave) {
  auto d = make_toy2d(DatasetKind::Circles, 200, 2, 0.0, 3);
  auto radius = d.x.norm(2, 1);
  auto inner = radius.index({d.y == 0});
  auto outer = radius.index({d.y == 1});
  EXPECT_NEAR(inner.mean().item<float>(), 0.5f, 1e-5);
  EXPECT_NEAR(outer.mean().item<float>(), 1.0f, 1e-5);
  // Xor without noise: the label is exactly the sign of x*y.
  auto x = make_toy2d(DatasetKind::Xor, 300, 2, 0.0, 5);
  auto product = x.x.select(1, 0) * x.x.select(1, 1);
  EXPECT_TRUE(torch::equal((product > 0).to(torch::kInt64), x.y));
}
