#include <gtest/gtest.h>

#include <filesystem>
#include <set>

#include "data/dataset.h"

using namespace slimlab;

TEST(DatasetTest, EpochPermutationIsAPermutationFixedBySeedAndEpoch) {
  auto a = epoch_permutation(1000, 42, 3);
  EXPECT_EQ(a, epoch_permutation(1000, 42, 3));
  EXPECT_NE(a, epoch_permutation(1000, 42, 4));
  EXPECT_NE(a, epoch_permutation(1000, 43, 3));
  EXPECT_EQ(std::set<int64_t>(a.begin(), a.end()).size(), 1000u);
}

TEST(DatasetTest, SplitsAreDisjointSizedAndDeterministic) {
  DataSpec spec;
  spec.dataset = DatasetKind::Moons;
  spec.points = 1000;
  spec.test_points = 300;
  spec.validation_share = 0.2;
  spec.train_subset = 500;
  auto a = load_data(spec, 11);
  auto b = load_data(spec, 11);
  EXPECT_EQ(a.train.size(), 400);
  EXPECT_EQ(a.validation.size(), 100);
  EXPECT_EQ(a.test.size(), 300);
  EXPECT_EQ(a.sample_shape, (std::vector<int64_t>{2}));
  EXPECT_EQ(a.classes, 2);
  EXPECT_TRUE(torch::equal(a.train.x, b.train.x));
  EXPECT_TRUE(torch::equal(a.validation.y, b.validation.y));
  // Train and validation come from one shuffled pool without overlap.
  auto all = torch::cat({a.train.x, a.validation.x});
  EXPECT_EQ(std::get<0>(torch::unique_dim(all, 0)).size(0), 500);
}

TEST(DatasetTest, FashionMnistFromDebianPackage) {
  if (!std::filesystem::exists(std::string(kFashionMnistDir) + "/train-images-idx3-ubyte.gz")) {
    GTEST_SKIP() << "dataset-fashion-mnist is not installed";
  }
  DataSpec spec;
  spec.validation_share = 0.1;
  auto d = load_data(spec, 0);
  EXPECT_EQ(d.train.size() + d.validation.size(), 60000);
  EXPECT_EQ(d.validation.size(), 6000);
  EXPECT_EQ(d.test.size(), 10000);
  EXPECT_EQ(d.sample_shape, (std::vector<int64_t>{1, 28, 28}));
  EXPECT_EQ(d.classes, 10);
  EXPECT_EQ(d.class_names[9], "Ankle boot");
  // Normalised with the training pixels: mean 0, std 1 over train + validation.
  auto pool = torch::cat({d.train.x, d.validation.x});
  EXPECT_NEAR(pool.mean().item<double>(), 0.0, 1e-3);
  EXPECT_NEAR(pool.std().item<double>(), 1.0, 1e-3);
  // Every class appears 6000 times in the 60,000 training images.
  EXPECT_TRUE(
      torch::all(torch::bincount(torch::cat({d.train.y, d.validation.y})) == 6000).item<bool>());
}
