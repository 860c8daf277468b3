// The CSV dataset reader: RFC 4180 text, hostile rows, labels, and load_data on a csv directory.
#include <gtest/gtest.h>

#include <cmath>

#include "data/csv_reader.h"
#include "data/dataset.h"
#include "test_files.h"
#include "util/input_error.h"

using namespace slimlab;
using namespace slimlab::testing;

namespace {

template <typename F>
std::string error_of(F f) {
  try {
    f();
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

std::string parse_error(const std::string& text) {
  return error_of([&] { parse_csv(text, "t.csv"); });
}

std::string examples_error(const std::string& text) {
  return error_of([&] { csv_examples(parse_csv(text, "t.csv"), "t.csv"); });
}

}  // namespace

TEST(CsvReaderTest, ReadsQuotesCrlfByteOrderMarkAndSkipsBlankLines) {
  auto t = parse_csv(
      "\xEF\xBB\xBF"
      "a,\"b, with comma\",label\r\n1,2,x\r\n\r\n  \n\"3\", \"say \"\"hi\"\"\" ,\"two\nlines\"\n",
      "t.csv");
  ASSERT_EQ(t.header, (std::vector<std::string>{"a", "b, with comma", "label"}));
  ASSERT_EQ(t.rows.size(), 2u);
  EXPECT_EQ(t.rows[0], (std::vector<std::string>{"1", "2", "x"}));
  EXPECT_EQ(t.rows[1], (std::vector<std::string>{"3", "say \"hi\"", "two\nlines"}));
  EXPECT_EQ(t.lines, (std::vector<int64_t>{2, 5}));
  // No newline at the end, and old Mac line ends.
  EXPECT_EQ(parse_csv("x,label\r1,0\r2,1", "t.csv").rows.size(), 2u);
}

TEST(CsvReaderTest, HostileTextIsRefusedWithFileAndLine) {
  EXPECT_EQ(parse_error("a,b,label\n1,2,0\n1,2\n"),
            "t.csv: line 3: 2 fields, but the header has 3");
  EXPECT_EQ(parse_error("a,b\n1\n"), "t.csv: line 2: 1 field, but the header has 2");
  // A line end inside a quoted field (LF, CRLF or a lone CR) still counts as a line.
  EXPECT_EQ(parse_error("a,b\r\"x\ry\",1\r1\r"), "t.csv: line 4: 1 field, but the header has 2");
  EXPECT_EQ(parse_error("a,label\n1,0,7\n"), "t.csv: line 2: 3 fields, but the header has 2");
  EXPECT_EQ(parse_error("a,label\n\"1,0\n2,1\n"), "t.csv: line 2: a quoted field is not closed");
  EXPECT_EQ(parse_error("a,label\n\"1\"x,0\n"), "t.csv: line 2: text after a closing quote");
  EXPECT_EQ(parse_error(std::string("a,label\n1,\0\n", 11)),
            "t.csv: line 2: a NUL byte; not a text file");
  EXPECT_EQ(parse_error(""), "t.csv: empty; expected a header row");
  EXPECT_EQ(parse_error("\n\n"), "t.csv: empty; expected a header row");
  EXPECT_NE(error_of([] { read_csv_file("/nonexistent/train.csv"); }).find("cannot open"),
            std::string::npos);
}

TEST(CsvReaderTest, NonNumbersNameTheLineAndColumn) {
  EXPECT_EQ(examples_error("width,height,label\n1,2,0\n1.5,abc,1\n"),
            "t.csv: line 3, column \"height\": \"abc\" is not a finite number");
  EXPECT_EQ(examples_error("w,label\n,0\n"),
            "t.csv: line 2, column \"w\": \"\" is not a finite number");
  for (const char* bad : {"nan", "inf", "-inf", "1e39", "0x10", "1,5", "1 2"}) {
    std::string text = std::string("w,label\n\"") + bad + "\",0\n2,1\n";
    EXPECT_NE(examples_error(text).find("is not a finite number"), std::string::npos) << bad;
  }
  EXPECT_EQ(examples_error("label\n0\n1\n"),
            "t.csv: needs a label column and at least one feature column, the header has 1");
  EXPECT_EQ(examples_error("w,label\n"), "t.csv: no examples under the header");
  EXPECT_EQ(examples_error("w,label\n1,3\n2,3\n"),
            "t.csv: every example has the same label; a classifier needs two classes");
  EXPECT_EQ(examples_error("w,label\n1,cat\n2,\n"),
            "t.csv: line 3, column \"label\": the label is empty");
}

TEST(CsvReaderTest, LabelsAreClassNumbersOrSortedNamesFromTheLabelColumn) {
  // "label" (any case) anywhere; numbers, signs and exponents as C++ reads them in any locale.
  auto numbered = csv_examples(parse_csv("Label,x,y\n2,1.5,-2\n0,+3,1e2\n", "t.csv"), "t.csv");
  EXPECT_EQ(numbered.features, 2);
  EXPECT_EQ(numbered.x, (std::vector<float>{1.5f, -2.f, 3.f, 100.f}));
  EXPECT_EQ(numbered.y, (std::vector<int64_t>{2, 0}));
  EXPECT_EQ(numbered.class_names, (std::vector<std::string>{"0", "1", "2"}));
  EXPECT_EQ(numbered.feature_names, (std::vector<std::string>{"x", "y"}));
  // A class number may be written "01"; names are text, so there "01" and "1" differ (fuzz_csv).
  EXPECT_EQ(
      csv_examples_like(parse_csv("label,x,y\n01,0,0\n", "u.csv"), "u.csv", numbered, "t.csv").y,
      (std::vector<int64_t>{1}));
  auto mixed = csv_examples(parse_csv("x,label\n1,0\n2,01\n3,cat\n", "t.csv"), "t.csv");
  EXPECT_EQ(mixed.class_names, (std::vector<std::string>{"0", "01", "cat"}));
  EXPECT_EQ(csv_examples_like(parse_csv("x,label\n1,01\n", "u.csv"), "u.csv", mixed, "t.csv").y,
            (std::vector<int64_t>{1}));
  // Without a "label" column the last one is the label; names are numbered in sorted order.
  auto named = csv_examples(
      parse_csv("a,b,kind\n1,2,setosa\n3,4,versicolor\n5,6,setosa\n", "t.csv"), "t.csv");
  EXPECT_EQ(named.class_names, (std::vector<std::string>{"setosa", "versicolor"}));
  EXPECT_EQ(named.y, (std::vector<int64_t>{0, 1, 0}));

  // The test file must have the same columns and only known classes.
  auto test = csv_examples_like(parse_csv("a,b,kind\n0,0,versicolor\n", "test.csv"), "test.csv",
                                named, "train.csv");
  EXPECT_EQ(test.y, (std::vector<int64_t>{1}));
  EXPECT_EQ(error_of([&] {
              csv_examples_like(parse_csv("a,b,kind\n0,0,virginica\n", "test.csv"), "test.csv",
                                named, "train.csv");
            }),
            "test.csv: line 2: label \"virginica\" is not a class of train.csv");
  EXPECT_EQ(error_of([&] {
              csv_examples_like(parse_csv("a,c,kind\n0,0,setosa\n", "test.csv"), "test.csv", named,
                                "train.csv");
            }),
            "test.csv: the columns differ from train.csv's; the two files must have the same "
            "header");
  EXPECT_EQ(error_of([&] {
              csv_examples_like(parse_csv("x,y,label\n0,0,3\n", "test.csv"), "test.csv", numbered,
                                "train.csv");
            }),
            "test.csv: line 2: label \"3\" is not a class of train.csv");
}

TEST(CsvReaderTest, LoadDataStandardisesColumnsWithTheTrainingRows) {
  TempDir dir;
  std::string train = "size,weight,label\n", test = "size,weight,label\n";
  for (int i = 0; i < 100; ++i) {
    train += std::to_string(i) + ",7," + (i < 50 ? "small" : "large") + "\n";
  }
  test += "25,7,small\n75,9,large\n";
  write_file(dir.file("train.csv"), train);
  write_file(dir.file("test.csv"), test);
  DataSpec spec;
  spec.dataset = DatasetKind::Csv;
  spec.path = dir.path();
  spec.validation_share = 0.2;
  auto data = load_data(spec, 1);
  EXPECT_EQ(data.sample_shape, (std::vector<int64_t>{2}));
  EXPECT_EQ(data.classes, 2);
  EXPECT_EQ(data.class_names, (std::vector<std::string>{"large", "small"}));
  EXPECT_EQ(data.train.size(), 80);
  EXPECT_EQ(data.validation.size(), 20);
  ASSERT_EQ(data.test.size(), 2);
  // size: mean 49.5, unbiased std 29.01; weight is constant, so it stays 0 (and 2 / 1 off it).
  EXPECT_NEAR(data.test.x[0][0].item<double>(), (25 - 49.5) / std::sqrt(841.6666), 1e-5);
  EXPECT_NEAR(data.test.x[0][1].item<double>(), 0.0, 1e-6);
  EXPECT_NEAR(data.test.x[1][1].item<double>(), 2.0, 1e-6);
  EXPECT_EQ(data.test.y[1].item<int64_t>(), 0);  // "large".

  spec.path = dir.file("missing");
  EXPECT_NE(error_of([&] { load_data(spec, 1); }).find("dataset directory not found"),
            std::string::npos);
}

// Any finite float is a legal cell; the statistics must not overflow on the largest of them.
TEST(CsvReaderTest, HugeButFiniteCellsStandardiseWithoutOverflow) {
  TempDir dir;
  write_file(dir.file("train.csv"), "x,label\n3e38,a\n-3e38,b\n1e38,a\n-1e38,b\n");
  write_file(dir.file("test.csv"), "x,label\n3e38,a\n");
  DataSpec spec;
  spec.dataset = DatasetKind::Csv;
  spec.path = dir.path();
  spec.validation_share = 0;
  auto data = load_data(spec, 1);
  ASSERT_TRUE(torch::isfinite(data.train.x).all().item<bool>()) << data.train.x;
  // Mean 0, unbiased std sqrt((9 + 9 + 1 + 1) / 3) x 1e38 = 2.582e38: 3e38 -> 1.1619.
  EXPECT_NEAR(data.test.x[0][0].item<double>(), 3.0 / std::sqrt(20.0 / 3.0), 1e-5);
}

TEST(CsvReaderTest, TestCellsBeyondTheTrainingSpreadAreRefusedNotInfinite) {
  TempDir dir;
  write_file(dir.file("train.csv"), "x,label\n0,a\n0.5,b\n1,a\n");
  write_file(dir.file("test.csv"), "x,label\n0.5,a\n3e38,b\n");
  DataSpec spec;
  spec.dataset = DatasetKind::Csv;
  spec.path = dir.path();
  spec.validation_share = 0;
  EXPECT_NE(error_of([&] {
              load_data(spec, 1);
            }).find("test.csv: data row 2, feature column 1: the value lies so far outside"),
            std::string::npos);
}
