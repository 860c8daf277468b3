#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace slimlab {

enum class DatasetKind { FashionMnist, Mnist, Idx, Spirals, Moons, Circles, Blobs, Xor, Csv };

/// Where the examples come from and how they are split and batched.
///   {"dataset": "fashion-mnist", "validation_share": 0.1, "batch_size": 128}
struct DataSpec {
  /// Which dataset. Default fashion-mnist (Debian's dataset-fashion-mnist).
  DatasetKind dataset = DatasetKind::FashionMnist;
  /// Directory holding MNIST-format IDX files (gzip'd or plain); "" uses the dataset's Debian
  /// location. csv: the directory holding train.csv and test.csv. Default "".
  std::string path;
  /// Share of the training set held out for validation, 0..0.9. Default 0.1.
  double validation_share = 0.1;
  /// Examples per optimiser step. Default 128.
  int64_t batch_size = 128;
  /// Use only this many training examples (after the seeded shuffle); 0 = all. Default 0.
  int64_t train_subset = 0;
  /// Use only the first this many test examples; 0 = all. Default 0.
  int64_t test_subset = 0;
  /// 2-D sets: training points generated. Default 2000.
  int64_t points = 2000;
  /// 2-D sets: test points generated (from a separate stream). Default 1000.
  int64_t test_points = 1000;
  /// 2-D sets: standard deviation of the Gaussian noise added to each point. Default 0.1.
  double noise = 0.1;
  /// 2-D sets: number of classes (spirals, blobs; the others have 2). Default 2.
  int64_t classes = 2;
};

/// The spec's names of the datasets, by enum index: "fashion-mnist", "mnist", "idx", ...
const std::vector<std::string>& dataset_names();
/// dataset_names()[kind], e.g. "fashion-mnist".
const char* dataset_name(DatasetKind kind);
/// Fashion-MNIST, MNIST or an IDX directory: byte images, normalised with the pixels' statistics.
bool is_image_dataset(DatasetKind kind);
/// The 2-D teaching sets SlimLab generates (spirals, moons, circles, blobs, xor).
bool is_generated_dataset(DatasetKind kind);

}  // namespace slimlab
