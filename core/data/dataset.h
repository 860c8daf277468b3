#pragma once

#include <torch/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "data/data_options.h"

namespace slimlab {

/// Examples and labels held in memory: `x` float [N, ...sample_shape], `y` int64 [N].
struct TensorDataset {
  torch::Tensor x;
  torch::Tensor y;
  int64_t size() const { return y.defined() ? y.size(0) : 0; }
};

/// Train / validation / test splits of one dataset, plus what a model needs to know of it.
struct DataSplits {
  TensorDataset train;
  TensorDataset validation;
  TensorDataset test;
  /// Shape of one example, e.g. {1, 28, 28} or {2}.
  std::vector<int64_t> sample_shape;
  int64_t classes = 0;
  std::vector<std::string> class_names;
  /// Where the examples came from (a directory, or "generated").
  std::string source;
};

/// Debian's install location of Fashion-MNIST (package dataset-fashion-mnist).
constexpr const char* kFashionMnistDir = "/usr/share/datasets/fashion-mnist";

/// Loads or generates the dataset named by `spec`, normalises it (images: mean/std of the
/// training pixels) and splits it deterministically from `seed`.
/// Throws InputError for a missing or corrupt dataset, naming the file and the Debian package.
DataSplits load_data(const DataSpec& spec, int64_t seed);

/// Reads train/test IDX files from `dir` (`train-images-idx3-ubyte[.gz]` and the like).
/// Images stay bytes: uint8 [N, 1, H, W] (load_data normalises them); labels int64.
void read_idx_directory(const std::string& dir, TensorDataset& train, TensorDataset& test,
                        const std::string& package_hint);

/// Display names of a dataset's classes ("T-shirt/top", ... for Fashion-MNIST; "0", "1", ...
/// otherwise).
std::vector<std::string> class_names(DatasetKind kind, int64_t classes);

/// The order of examples for one epoch: a permutation of 0..n-1 from (seed, epoch) only, so a
/// resumed run sees the same batches as an uninterrupted one.
std::vector<int64_t> epoch_permutation(int64_t n, int64_t seed, int64_t epoch);

}  // namespace slimlab
