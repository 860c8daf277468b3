#include "data/dataset.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <filesystem>
#include <random>
#include <thread>
#include <vector>

#include "data/csv_reader.h"
#include "data/idx_reader.h"
#include "data/toy2d.h"
#include "util/input_error.h"

namespace slimlab {
namespace {

const std::vector<std::string> kFashionClasses = {"T-shirt/top", "Trouser",   "Pullover", "Dress",
                                                  "Coat",        "Sandal",    "Shirt",    "Sneaker",
                                                  "Bag",         "Ankle boot"};

// Finds `stem` or `stem.gz` in `dir`.
std::string find_idx(const std::string& dir, const std::string& stem,
                     const std::string& package_hint) {
  for (const auto& name : {stem + ".gz", stem}) {
    auto path = dir + "/" + name;
    if (std::filesystem::exists(path)) return path;
  }
  throw InputError(dir + "/" + stem + "[.gz]: not found" +
                   (package_hint.empty()
                        ? std::string("")
                        : "; install it with: sudo apt-get install " + package_hint));
}

torch::Tensor images_tensor(IdxArray a, const std::string& path) {
  if (a.dims.size() != 3) {
    throw InputError(path + ": expected 3 dimensions (count, rows, columns), got " +
                     std::to_string(a.dims.size()));
  }
  // The tensor takes over the bytes (no copy): it frees them when it goes.
  auto owner = new std::vector<uint8_t>(std::move(a.values));
  return torch::from_blob(
      owner->data(), {a.dims[0], 1, a.dims[1], a.dims[2]}, [owner](void*) { delete owner; },
      torch::kUInt8);
}

torch::Tensor labels_tensor(const IdxArray& a, const std::string& path, int64_t expected) {
  if (a.dims.size() != 1 || a.dims[0] != expected) {
    throw InputError(path + ": expected " + std::to_string(expected) +
                     " labels to match the images, got shape with " +
                     std::to_string(a.dims.empty() ? 0 : a.dims[0]) + " entries");
  }
  auto bytes = torch::from_blob(const_cast<uint8_t*>(a.values.data()), {a.dims[0]}, torch::kUInt8);
  return bytes.to(torch::kInt64);
}

TensorDataset take(const TensorDataset& d, const torch::Tensor& index) {
  return {d.x.index_select(0, index), d.y.index_select(0, index)};
}

/// Threads for one pass over a whole dataset in memory: every core, at most 8.
int64_t parallel_workers() {
  return std::clamp<int64_t>(std::thread::hardware_concurrency(), 1, 8);
}

/// Mean and (unbiased) standard deviation of byte / 255 over all pixels, from a histogram of the
/// 256 byte values, one read of the bytes instead of four float passes. The sums are exact
/// integers (128-bit: n Q - S^2 for 47 M pixels is ~1e20), so images of one grey level give a
/// deviation of exactly 0; in doubles the mean is not always exactly that level, and a ~1e-17
/// deviation turned the level into +-0.99 instead of 0.
/// Counted on every core, four histograms each: one histogram's increments of the same level wait
/// on each other (70 ms for Fashion-MNIST's 47 M training pixels on a 2-core Xeon, now ~24).
std::pair<double, double> pixel_stats(const torch::Tensor& bytes) {
  const uint8_t* p = bytes.data_ptr<uint8_t>();
  const int64_t n = bytes.numel();
  const int64_t workers = n < (1 << 20) ? 1 : parallel_workers();
  std::vector<std::array<int64_t, 4 * 256>> counts(static_cast<size_t>(workers));
  auto count_part = [&](int64_t w) {
    auto& c = counts[size_t(w)];
    c.fill(0);
    const int64_t begin = n * w / workers, end = n * (w + 1) / workers;
    int64_t i = begin;
    for (; i + 4 <= end; i += 4) {
      ++c[p[i]];
      ++c[256 + p[i + 1]];
      ++c[512 + p[i + 2]];
      ++c[768 + p[i + 3]];
    }
    for (; i < end; ++i) ++c[p[i]];
  };
  std::vector<std::thread> threads;
  for (int64_t w = 1; w < workers; ++w) threads.emplace_back(count_part, w);
  count_part(0);
  for (auto& t : threads) t.join();
  std::array<int64_t, 256> count{};
  for (const auto& c : counts) {
    for (int v = 0; v < 4 * 256; ++v) count[size_t(v % 256)] += c[size_t(v)];
  }
  if (n == 0) return {0.0, 0.0};
  __int128 sum = 0, squares = 0;
  for (int v = 0; v < 256; ++v) {
    sum += __int128(count[size_t(v)]) * v;
    squares += __int128(count[size_t(v)]) * v * v;
  }
  const double mean = double(sum) / double(n) / 255.0;
  if (n < 2) return {mean, 0.0};
  const __int128 spread = __int128(n) * squares - sum * sum;  // n^2 x the population variance.
  const double variance = double(spread) / (double(n) * double(n - 1)) / (255.0 * 255.0);
  return {mean, std::sqrt(variance)};
}

/// Rows `index` of byte images [N, ...] as normalised floats (byte / 255 - mean) / std, built in
/// one pass through a 256-entry table and split over the cores: loading the 60,000 Fashion-MNIST
/// images took 0.5 s as convert, mean, std, normalise and shuffle passes, and now 0.05 s.
TensorDataset normalised_rows(const TensorDataset& bytes, const torch::Tensor& index,
                              const std::array<float, 256>& table) {
  auto sizes = bytes.x.sizes().vec();
  sizes[0] = index.numel();
  auto out = torch::empty(sizes, torch::kFloat32);
  const int64_t row = bytes.x.numel() / std::max<int64_t>(bytes.x.size(0), 1);
  const uint8_t* src = bytes.x.data_ptr<uint8_t>();
  const int64_t* rows = index.data_ptr<int64_t>();
  float* dst = out.data_ptr<float>();
  auto convert = [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r) {
      const uint8_t* s = src + rows[r] * row;
      float* d = dst + r * row;
      for (int64_t j = 0; j < row; ++j) d[j] = table[s[j]];
    }
  };
  const int64_t k = index.numel();
  const int64_t workers = parallel_workers();
  std::vector<std::thread> threads;
  for (int64_t w = 1; w < workers; ++w) {
    threads.emplace_back(convert, k * w / workers, k * (w + 1) / workers);
  }
  convert(0, k / workers);
  for (auto& t : threads) t.join();
  return {out, bytes.y.index_select(0, index)};
}

TensorDataset examples_tensor(CsvExamples e) {
  auto rows = int64_t(e.y.size());
  return {torch::from_blob(e.x.data(), {rows, e.features}, torch::kFloat32).clone(),
          torch::tensor(e.y, torch::kInt64)};
}

// dataset "csv": train.csv and test.csv from `dir` (columns: csv_reader.h).
void read_csv_directory(const std::string& dir, TensorDataset& train, TensorDataset& test,
                        DataSplits& out) {
  if (!std::filesystem::is_directory(dir)) {
    throw InputError(dir +
                     ": dataset directory not found (dataset \"csv\" reads train.csv and "
                     "test.csv from data.path)");
  }
  const std::string train_path = dir + "/train.csv", test_path = dir + "/test.csv";
  auto train_rows = csv_examples(read_csv_file(train_path), train_path);
  auto test_rows = csv_examples_like(read_csv_file(test_path), test_path, train_rows, train_path);
  out.classes = int64_t(train_rows.class_names.size());
  out.class_names = train_rows.class_names;
  train = examples_tensor(std::move(train_rows));
  test = examples_tensor(std::move(test_rows));
  // Each column standardised with the training rows' mean and std (a constant column stays 0).
  // In double: any finite float is a legal cell, and float32 squares overflow past 1.8e19
  // (cells of 3e38 and -3e38 gave an Inf deviation and NaN inputs). A standardised value is at
  // most sqrt(rows) in size, so it fits a float again.
  auto train_x = train.x.to(torch::kFloat64);
  auto mean = train_x.mean(0);
  auto spread = train_x.size(0) > 1 ? train_x.std(0) : torch::ones_like(mean);
  spread = torch::where(spread > 0, spread, torch::ones_like(spread));
  train.x = ((train_x - mean) / spread).to(torch::kFloat32);
  test.x = ((test.x.to(torch::kFloat64) - mean) / spread).to(torch::kFloat32);
  // Test cells are not bounded by the training rows' spread: one far outside it can overflow.
  auto bad = torch::isfinite(test.x).logical_not().nonzero();
  if (bad.size(0) > 0) {
    throw InputError(test_path + ": data row " + std::to_string(bad[0][0].item<int64_t>() + 1) +
                     ", feature column " + std::to_string(bad[0][1].item<int64_t>() + 1) +
                     ": the value lies so far outside train.csv's values that it cannot be "
                     "standardised within float range");
  }
}

}  // namespace

void read_idx_directory(const std::string& dir, TensorDataset& train, TensorDataset& test,
                        const std::string& package_hint) {
  if (!std::filesystem::is_directory(dir)) {
    throw InputError(dir + ": dataset directory not found" +
                     (package_hint.empty()
                          ? std::string("")
                          : "; install it with: sudo apt-get install " + package_hint));
  }
  struct Pair {
    TensorDataset* out;
    const char* images;
    const char* labels;
  };
  std::vector<std::string> image_paths;
  for (const Pair& p : {Pair{&train, "train-images-idx3-ubyte", "train-labels-idx1-ubyte"},
                        Pair{&test, "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"}}) {
    auto image_path = find_idx(dir, p.images, package_hint);
    auto label_path = find_idx(dir, p.labels, package_hint);
    p.out->x = images_tensor(read_idx_file_cached(image_path), image_path);
    p.out->y = labels_tensor(read_idx_file_cached(label_path), label_path, p.out->x.size(0));
    image_paths.push_back(image_path);
  }
  // Checked here, before any training: a model built for the training images cannot take test
  // images of another size, and would only fail at the first evaluation.
  auto image_size = [](const torch::Tensor& x) {
    return std::to_string(x.size(2)) + "x" + std::to_string(x.size(3));
  };
  if (train.x.sizes().slice(1) != test.x.sizes().slice(1)) {
    throw InputError(image_paths[0] + " holds " + image_size(train.x) + " images but " +
                     image_paths[1] + " holds " + image_size(test.x) +
                     "; training and test images must have one size");
  }
}

std::vector<std::string> class_names(DatasetKind kind, int64_t classes) {
  if (kind == DatasetKind::FashionMnist && classes == 10) return kFashionClasses;
  std::vector<std::string> names;
  for (int64_t c = 0; c < classes; ++c) names.push_back(std::to_string(c));
  return names;
}

std::vector<int64_t> epoch_permutation(int64_t n, int64_t seed, int64_t epoch) {
  // Own Fisher-Yates over mt19937_64: std::shuffle's algorithm differs between libraries.
  std::mt19937_64 rng(uint64_t(seed) * 0x9E3779B97F4A7C15ull + uint64_t(epoch) + 1);
  std::vector<int64_t> order(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) order[size_t(i)] = i;
  for (int64_t i = n - 1; i > 0; --i) {
    auto j = int64_t(rng() % uint64_t(i + 1));
    std::swap(order[size_t(i)], order[size_t(j)]);
  }
  return order;
}

DataSplits load_data(const DataSpec& spec, int64_t seed) {
  DataSplits out;
  TensorDataset train, test;
  if (is_image_dataset(spec.dataset)) {
    std::string dir = spec.path;
    std::string package;
    if (dir.empty() && spec.dataset == DatasetKind::FashionMnist) {
      dir = kFashionMnistDir;
      package = "dataset-fashion-mnist";
    }
    if (dir.empty()) {
      throw InputError(std::string("data.path: dataset \"") + dataset_name(spec.dataset) +
                       "\" needs a directory of IDX files (train-images-idx3-ubyte.gz, ...)");
    }
    read_idx_directory(dir, train, test, package);
    out.source = dir;
    out.classes = train.y.max().item<int64_t>() + 1;
    out.class_names = class_names(spec.dataset, out.classes);
    int64_t test_max = test.y.numel() > 0 ? test.y.max().item<int64_t>() : 0;
    if (test_max >= out.classes) {
      throw InputError(dir + ": the test labels go up to class " + std::to_string(test_max) +
                       " but the training labels only to " + std::to_string(out.classes - 1) +
                       "; the IDX files do not belong together");
    }
  } else if (spec.dataset == DatasetKind::Csv) {
    read_csv_directory(spec.path, train, test, out);
    out.source = spec.path;
  } else {
    out.classes = toy2d_classes(spec.dataset, spec.classes);
    train = make_toy2d(spec.dataset, spec.points, out.classes, spec.noise, uint64_t(seed));
    // The test set comes from its own stream so it never shares points with training.
    test = make_toy2d(spec.dataset, spec.test_points, out.classes, spec.noise,
                      uint64_t(seed) ^ 0x5DEECE66Dull);
    out.source = "generated";
    out.class_names = class_names(spec.dataset, out.classes);
  }

  // Seeded shuffle, then the optional subset, then the validation hold-out.
  auto order = epoch_permutation(train.size(), seed, /*epoch=*/-1);
  int64_t n = spec.train_subset > 0 ? std::min(spec.train_subset, train.size()) : train.size();
  int64_t n_validation = int64_t(double(n) * spec.validation_share);
  if (n - n_validation < 1) {
    throw InputError("data.validation_share: leaves no training examples out of " +
                     std::to_string(n));
  }
  auto index = torch::tensor(order, torch::dtype(torch::kInt64)).slice(0, 0, n);
  int64_t n_test = spec.test_subset > 0 ? std::min(spec.test_subset, test.size()) : test.size();
  auto train_index = index.slice(0, 0, n - n_validation).contiguous();
  auto validation_index = index.slice(0, n - n_validation, n).contiguous();
  if (train.x.scalar_type() == torch::kUInt8) {
    // Normalise with the training pixels' statistics (Fashion-MNIST: mean 0.286, std 0.353).
    auto [mean, std] = pixel_stats(train.x);
    std::array<float, 256> table;
    for (int v = 0; v < 256; ++v) table[size_t(v)] = float((v / 255.0 - mean) / std);
    // Images of one grey level carry nothing to learn; like a constant CSV column they become
    // 0, not NaN (0 / 0).
    if (!(std > 0)) table.fill(0.0f);
    out.train = normalised_rows(train, train_index, table);
    if (n_validation > 0) out.validation = normalised_rows(train, validation_index, table);
    out.test = normalised_rows(test, torch::arange(n_test, torch::kInt64), table);
  } else {
    out.train = take(train, train_index);
    if (n_validation > 0) out.validation = take(train, validation_index);
    out.test = {test.x.slice(0, 0, n_test), test.y.slice(0, 0, n_test)};
  }
  auto sizes = out.train.x.sizes();
  out.sample_shape.assign(sizes.begin() + 1, sizes.end());
  return out;
}

}  // namespace slimlab
