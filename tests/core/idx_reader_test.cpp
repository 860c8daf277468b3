#include <gtest/gtest.h>

#include "data/dataset.h"
#include "data/idx_reader.h"
#include "test_files.h"
#include "util/input_error.h"

using namespace slimlab;
using namespace slimlab::testing;

namespace {

std::string error_reading(const std::string& path) {
  try {
    read_idx_file(path);
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST(IdxReaderTest, ReadsPlainAndGzipFilesAlike) {
  TempDir dir;
  std::vector<uint8_t> values = {0, 1, 2, 3, 4, 5, 250, 251, 252, 253, 254, 255};
  auto bytes = idx_bytes({2, 2, 3}, values);
  write_file(dir.file("plain"), bytes);
  write_gzip(dir.file("packed.gz"), bytes);
  for (const auto& name : {"plain", "packed.gz"}) {
    SCOPED_TRACE(name);
    auto a = read_idx_file(dir.file(name));
    EXPECT_EQ(a.dims, (std::vector<int64_t>{2, 2, 3}));
    EXPECT_EQ(a.values, values);
  }
}

TEST(IdxReaderTest, WrongMagicNamesFileAndOffset) {
  TempDir dir;
  write_file(dir.file("x.idx"), "PK\x03\x04 this is a zip file");
  auto message = error_reading(dir.file("x.idx"));
  EXPECT_NE(message.find(dir.file("x.idx") + ": wrong magic at byte 0"), std::string::npos)
      << message;
  write_file(dir.file("float.idx"), std::string("\0\0\x0d\x01\0\0\0\x01xxxx", 12));
  EXPECT_NE(error_reading(dir.file("float.idx")).find("element type"), std::string::npos);
}

TEST(IdxReaderTest, TruncatedDataNamesTheOffset) {
  TempDir dir;
  auto bytes = idx_bytes({10, 4}, std::vector<uint8_t>(40, 7));
  write_gzip(dir.file("short.gz"), bytes.substr(0, 12 + 25));  // Header, then 25 of 40 values.
  auto message = error_reading(dir.file("short.gz"));
  EXPECT_NE(message.find("truncated at byte 37"), std::string::npos) << message;
  write_file(dir.file("header"), bytes.substr(0, 6));
  EXPECT_NE(error_reading(dir.file("header")).find("truncated at byte 6"), std::string::npos);
}

TEST(IdxReaderTest, AbsurdDimensionsAreRefusedBeforeAllocating) {
  TempDir dir;
  write_file(dir.file("huge"), idx_bytes({0xFFFFFFFF, 0xFFFFFFFF, 0xFFFF}, {}));
  EXPECT_NE(error_reading(dir.file("huge")).find("the header is corrupt"), std::string::npos);
  write_file(dir.file("zero"), idx_bytes({0, 3}, {}));
  EXPECT_NE(error_reading(dir.file("zero")).find("is 0"), std::string::npos);
  EXPECT_NE(error_reading(dir.file("missing")).find("cannot open"), std::string::npos);
}

TEST(IdxReaderTest, DirectoryLoaderChecksLabelsMatchImages) {
  TempDir dir;
  std::vector<uint8_t> pixels(3 * 2 * 2, 128);
  write_gzip(dir.file("train-images-idx3-ubyte.gz"), idx_bytes({3, 2, 2}, pixels));
  write_gzip(dir.file("train-labels-idx1-ubyte.gz"), idx_bytes({3}, {0, 1, 2}));
  write_file(dir.file("t10k-images-idx3-ubyte"), idx_bytes({3, 2, 2}, pixels));
  write_file(dir.file("t10k-labels-idx1-ubyte"), idx_bytes({2}, {0, 1}));
  TensorDataset train, test;
  try {
    read_idx_directory(dir.path(), train, test, "");
    FAIL() << "mismatched label count accepted";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("t10k-labels-idx1-ubyte: expected 3 labels"),
              std::string::npos)
        << e.what();
  }
  write_file(dir.file("t10k-labels-idx1-ubyte"), idx_bytes({3}, {2, 1, 0}));
  read_idx_directory(dir.path(), train, test, "");
  EXPECT_EQ(train.x.sizes(), (std::vector<int64_t>{3, 1, 2, 2}));
  EXPECT_EQ(train.x.scalar_type(), torch::kUInt8);
  EXPECT_EQ(train.x[0][0][0][0].item<int64_t>(), 128);
  EXPECT_EQ(test.y[0].item<int64_t>(), 2);
}

TEST(IdxReaderTest, MissingDatasetNamesTheDebianPackage) {
  TensorDataset train, test;
  try {
    read_idx_directory("/nonexistent/fashion", train, test, "dataset-fashion-mnist");
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("sudo apt-get install dataset-fashion-mnist"),
              std::string::npos);
  }
}

// 28x28 training images beside 27x27 test images used to train every step and then fail at the
// first evaluation ("linear: input has 729 features"); now refused before training.
TEST(IdxReaderTest, TrainAndTestImagesOfDifferentSizesAreRefusedNamingBothFiles) {
  TempDir dir;
  write_file(dir.file("train-images-idx3-ubyte"),
             idx_bytes({2, 28, 28}, std::vector<uint8_t>(2 * 28 * 28, 7)));
  write_file(dir.file("train-labels-idx1-ubyte"), idx_bytes({2}, {0, 1}));
  write_file(dir.file("t10k-images-idx3-ubyte"),
             idx_bytes({2, 27, 27}, std::vector<uint8_t>(2 * 27 * 27, 7)));
  write_file(dir.file("t10k-labels-idx1-ubyte"), idx_bytes({2}, {1, 0}));
  DataSpec spec;
  spec.dataset = DatasetKind::Idx;
  spec.path = dir.path();
  try {
    load_data(spec, 1);
    FAIL() << "images of two sizes accepted";
  } catch (const InputError& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find(dir.file("train-images-idx3-ubyte") + " holds 28x28 images but " +
                           dir.file("t10k-images-idx3-ubyte") + " holds 27x27"),
              std::string::npos)
        << message;
  }
}

// Standardising by a zero deviation gave NaN inputs, and the run then blamed the learning rate.
// Like a constant CSV column, images of one grey level become zeros.
TEST(IdxReaderTest, ImagesOfOneGreyLevelBecomeZerosNotNaN) {
  // Every level: in doubles the mean of 36 pixels of level 29 is not exactly 29 / 255, and the
  // ~1e-17 deviation left turned the level into 0.986.
  for (int level = 0; level < 256; ++level) {
    SCOPED_TRACE("grey level " + std::to_string(level));
    TempDir dir;
    for (const char* set : {"train", "t10k"}) {
      write_file(dir.file(std::string(set) + "-images-idx3-ubyte"),
                 idx_bytes({4, 3, 3}, std::vector<uint8_t>(4 * 9, uint8_t(level))));
      write_file(dir.file(std::string(set) + "-labels-idx1-ubyte"), idx_bytes({4}, {0, 1, 0, 1}));
    }
    DataSpec spec;
    spec.dataset = DatasetKind::Idx;
    spec.path = dir.path();
    spec.validation_share = 0;
    auto data = load_data(spec, 1);
    ASSERT_TRUE(torch::isfinite(data.train.x).all().item<bool>());
    ASSERT_EQ(data.train.x.abs().max().item<float>(), 0.0f);
    ASSERT_EQ(data.test.x.abs().max().item<float>(), 0.0f);
  }
}
