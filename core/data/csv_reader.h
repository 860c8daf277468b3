#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace slimlab {

/// A CSV file as text cells: the header row and the rows under it.
struct CsvTable {
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
  /// The file line each row starts on (for messages).
  std::vector<int64_t> lines;
};

/// Parses CSV text (RFC 4180: comma-separated, "quoted" fields with "" for a quote, LF or CRLF
/// line ends, an optional UTF-8 byte-order mark). The first row is the header; blank lines are
/// skipped. Throws InputError naming `source` and the line: a row with more or fewer fields than
/// the header, an unclosed quote, text after a closing quote, a NUL byte, no header.
CsvTable parse_csv(const std::string& text, const std::string& source);

/// Reads and parses a CSV file (at most `max_bytes`, default 256 MiB: parsed cells take several
/// times the file's size; larger data sets belong in IDX files).
CsvTable read_csv_file(const std::string& path, uint64_t max_bytes = uint64_t(1) << 28);

/// Examples from a CSV table: every column but the label's is a feature (a finite number); the
/// label column is the one named "label" (any case), else the last. Labels are class numbers
/// 0..65535, or class names, numbered in sorted order.
struct CsvExamples {
  int64_t features = 0;    ///< Columns per example.
  std::vector<float> x;    ///< rows x features, row-major.
  std::vector<int64_t> y;  ///< One class index per row.
  std::vector<std::string> class_names;
  /// Labels are class numbers ("07" is class 7), not names compared as text.
  bool numbered_classes = false;
  std::vector<std::string> feature_names;
};

/// Reads a training table. Throws InputError naming `source`, the line and the column: a cell
/// that is not a finite number, a label that is neither a class number nor a name, no feature
/// column, no rows.
CsvExamples csv_examples(const CsvTable& table, const std::string& source);

/// Reads a test table against the training set's columns and classes: the same header, and only
/// classes the training set has.
CsvExamples csv_examples_like(const CsvTable& table, const std::string& source,
                              const CsvExamples& train, const std::string& train_source);

}  // namespace slimlab
