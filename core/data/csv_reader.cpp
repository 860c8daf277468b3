#include "data/csv_reader.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <fstream>
#include <limits>
#include <map>
#include <sstream>

#include "util/input_error.h"

namespace slimlab {
namespace {

constexpr int64_t kMaxClassNumber = 65535;

std::string at_line(const std::string& source, int64_t line) {
  return source + ": line " + std::to_string(line);
}

// Shortened for messages: a hostile cell may be megabytes long.
std::string in_quotes(const std::string& cell) {
  std::string shown = cell.size() > 40 ? cell.substr(0, 40) + "..." : cell;
  return "\"" + shown + "\"";
}

std::string trimmed(const std::string& s) {
  auto begin = s.find_first_not_of(" \t");
  if (begin == std::string::npos) return "";
  auto end = s.find_last_not_of(" \t");
  return s.substr(begin, end - begin + 1);
}

// A finite number, read the same in every locale (from_chars, not strtod: the window runs with
// the user's locale, where the decimal point may be a comma).
bool parse_number(const std::string& cell, double& value) {
  auto text = trimmed(cell);
  const char* begin = text.data();
  const char* end = begin + text.size();
  if (begin != end && *begin == '+') ++begin;  // from_chars refuses a leading plus.
  if (begin == end) return false;
  auto [ptr, error] = std::from_chars(begin, end, value);
  return error == std::errc() && ptr == end && std::isfinite(value) &&
         std::abs(value) <= double(std::numeric_limits<float>::max());
}

bool parse_class_number(const std::string& cell, int64_t& value) {
  auto text = trimmed(cell);
  auto [ptr, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  return !text.empty() && error == std::errc() && ptr == text.data() + text.size() && value >= 0 &&
         value <= kMaxClassNumber;
}

size_t label_column(const std::vector<std::string>& header) {
  for (size_t i = 0; i < header.size(); ++i) {
    auto name = trimmed(header[i]);
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char c) { return char(std::tolower(c)); });
    if (name == "label") return i;  // Label, LABEL: a header written by hand or by a spreadsheet.
  }
  return header.size() - 1;
}

std::vector<std::string> feature_names(const std::vector<std::string>& header, size_t label) {
  std::vector<std::string> names;
  for (size_t c = 0; c < header.size(); ++c) {
    if (c != label) names.push_back(trimmed(header[c]));
  }
  return names;
}

std::string fields(size_t n) { return std::to_string(n) + (n == 1 ? " field" : " fields"); }

// The features of every row into `out.x`; the label cells are returned for the caller to map.
std::vector<std::string> read_features(const CsvTable& table, const std::string& source,
                                       size_t label, CsvExamples& out) {
  const size_t columns = table.header.size();
  out.features = int64_t(columns) - 1;
  out.x.reserve(table.rows.size() * (columns - 1));
  std::vector<std::string> labels;
  labels.reserve(table.rows.size());
  for (size_t r = 0; r < table.rows.size(); ++r) {
    const auto& row = table.rows[r];
    for (size_t c = 0; c < columns; ++c) {
      if (c == label) continue;
      double value = 0;
      if (!parse_number(row[c], value)) {
        throw InputError(at_line(source, table.lines[r]) + ", column " +
                         in_quotes(table.header[c]) + ": " + in_quotes(row[c]) +
                         " is not a finite number");
      }
      out.x.push_back(float(value));
    }
    labels.push_back(trimmed(row[label]));
  }
  return labels;
}

void check_shape(const CsvTable& table, const std::string& source) {
  if (table.header.size() < 2) {
    throw InputError(source +
                     ": needs a label column and at least one feature column, the "
                     "header has " +
                     std::to_string(table.header.size()));
  }
  if (table.rows.empty()) throw InputError(source + ": no examples under the header");
}

}  // namespace

CsvTable parse_csv(const std::string& text, const std::string& source) {
  CsvTable table;
  size_t i = text.rfind("\xEF\xBB\xBF", 0) == 0 ? 3 : 0;
  int64_t line = 1;
  std::vector<std::string> row;
  std::string cell;
  int64_t row_line = 1;
  bool row_has_content = false;

  auto end_row = [&] {
    row.push_back(std::move(cell));
    cell.clear();
    bool blank = !row_has_content && row.size() == 1 && trimmed(row[0]).empty();
    if (!blank) {
      if (table.header.empty()) {
        table.header = std::move(row);
      } else if (row.size() != table.header.size()) {
        throw InputError(at_line(source, row_line) + ": " + fields(row.size()) +
                         ", but the header has " + std::to_string(table.header.size()));
      } else {
        table.rows.push_back(std::move(row));
        table.lines.push_back(row_line);
      }
    }
    row.clear();
    row_has_content = false;
  };

  while (i < text.size()) {
    char ch = text[i];
    if (ch == '\0') throw InputError(at_line(source, line) + ": a NUL byte; not a text file");
    if (ch == '"' && trimmed(cell).empty()) {
      // A quoted field: up to the closing quote; "" is a quote, newlines belong to the field.
      cell.clear();
      row_has_content = true;
      int64_t opened = line;
      ++i;
      for (;;) {
        if (i >= text.size()) {
          throw InputError(at_line(source, opened) + ": a quoted field is not closed");
        }
        if (text[i] == '\0') {
          throw InputError(at_line(source, line) + ": a NUL byte; not a text file");
        }
        if (text[i] == '"') {
          if (i + 1 < text.size() && text[i + 1] == '"') {
            cell += '"';
            i += 2;
            continue;
          }
          ++i;
          break;
        }
        // Line ends inside the field still count, so later messages name the right line.
        if (text[i] == '\n' || (text[i] == '\r' && (i + 1 >= text.size() || text[i + 1] != '\n'))) {
          ++line;
        }
        cell += text[i++];
      }
      while (i < text.size() && (text[i] == ' ' || text[i] == '\t')) ++i;
      if (i < text.size() && text[i] != ',' && text[i] != '\n' && text[i] != '\r') {
        throw InputError(at_line(source, line) + ": text after a closing quote");
      }
      continue;
    }
    if (ch == ',') {
      row.push_back(std::move(cell));
      cell.clear();
      row_has_content = true;
    } else if (ch == '\n' || ch == '\r') {
      if (ch == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
      end_row();
      ++line;
      row_line = line;
    } else {
      cell += ch;
      if (ch != ' ' && ch != '\t') row_has_content = true;
    }
    ++i;
  }
  if (row_has_content || !row.empty() || !cell.empty()) end_row();
  if (table.header.empty()) throw InputError(source + ": empty; expected a header row");
  return table;
}

CsvTable read_csv_file(const std::string& path, uint64_t max_bytes) {
  // The text is held as one string per cell (tens of bytes each, however short the cell), so
  // the file size is capped well below the memory it will take.
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(path + ": cannot open the CSV file");
  in.seekg(0, std::ios::end);
  auto size = in.tellg();
  if (size < 0) throw InputError(path + ": cannot read the CSV file");
  if (uint64_t(size) > max_bytes) {
    throw InputError(path + ": " + std::to_string(uint64_t(size) >> 20) + " MiB; CSV files up to " +
                     std::to_string(max_bytes >> 20) + " MiB are read (IDX files hold more)");
  }
  in.seekg(0);
  std::string text(size_t(size), '\0');
  if (!in.read(text.data(), size)) throw InputError(path + ": cannot read the CSV file");
  return parse_csv(text, path);
}

CsvExamples csv_examples(const CsvTable& table, const std::string& source) {
  check_shape(table, source);
  CsvExamples out;
  const size_t label = label_column(table.header);
  out.feature_names = feature_names(table.header, label);
  auto labels = read_features(table, source, label, out);
  // Class numbers when every label is one, else class names in sorted order.
  std::vector<int64_t> numbers(labels.size());
  bool all_numbers = true;
  for (size_t r = 0; r < labels.size() && all_numbers; ++r) {
    all_numbers = parse_class_number(labels[r], numbers[r]);
  }
  if (all_numbers) {
    out.numbered_classes = true;
    out.y = numbers;
    int64_t classes = *std::max_element(numbers.begin(), numbers.end()) + 1;
    for (int64_t c = 0; c < classes; ++c) out.class_names.push_back(std::to_string(c));
  } else {
    std::map<std::string, int64_t> index;
    for (size_t r = 0; r < labels.size(); ++r) {
      if (labels[r].empty()) {
        throw InputError(at_line(source, table.lines[r]) + ", column " +
                         in_quotes(table.header[label]) + ": the label is empty");
      }
      index.emplace(labels[r], 0);
    }
    if (index.size() > size_t(kMaxClassNumber) + 1) {
      throw InputError(source + ": " + std::to_string(index.size()) +
                       " different labels; at most 65536 classes");
    }
    int64_t next = 0;
    for (auto& [name, i] : index) {
      i = next++;
      out.class_names.push_back(name);
    }
    for (const auto& name : labels) out.y.push_back(index.at(name));
  }
  if (std::all_of(out.y.begin(), out.y.end(), [&](int64_t y) { return y == out.y[0]; })) {
    throw InputError(source + ": every example has the same label; a classifier needs two classes");
  }
  return out;
}

CsvExamples csv_examples_like(const CsvTable& table, const std::string& source,
                              const CsvExamples& train, const std::string& train_source) {
  check_shape(table, source);
  const size_t label = label_column(table.header);
  auto features = feature_names(table.header, label);
  if (features != train.feature_names) {
    throw InputError(source + ": the columns differ from " + train_source +
                     "'s; the two files must have the same header");
  }
  CsvExamples out;
  out.feature_names = features;
  out.class_names = train.class_names;
  out.numbered_classes = train.numbered_classes;
  auto labels = read_features(table, source, label, out);
  std::map<std::string, int64_t> index;
  for (size_t c = 0; c < train.class_names.size(); ++c) index[train.class_names[c]] = int64_t(c);
  for (size_t r = 0; r < labels.size(); ++r) {
    // Numbered classes are named "0", "1", ...; "07" still means class 7. Names are text.
    int64_t number = 0;
    std::string name = labels[r];
    if (train.numbered_classes && parse_class_number(name, number)) name = std::to_string(number);
    auto it = index.find(name);
    if (it == index.end()) {
      throw InputError(at_line(source, table.lines[r]) + ": label " + in_quotes(labels[r]) +
                       " is not a class of " + train_source);
    }
    out.y.push_back(it->second);
  }
  return out;
}

}  // namespace slimlab
