// libFuzzer target: any bytes as a CSV table of examples. Bad text must be refused with
// InputError naming the file and line; whatever is accepted must be a consistent table.
#include <cstddef>
#include <cstdint>
#include <string>

#include "data/csv_reader.h"
#include "util/input_error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    auto table = slimlab::parse_csv(text, "fuzz.csv");
    for (const auto& row : table.rows) {
      if (row.size() != table.header.size()) __builtin_trap();  // Ragged rows never pass.
    }
    auto train = slimlab::csv_examples(table, "fuzz.csv");
    auto test = slimlab::csv_examples_like(table, "fuzz.csv", train, "fuzz.csv");
    const auto classes = int64_t(train.class_names.size());
    if (train.x.size() != train.y.size() * size_t(train.features)) __builtin_trap();
    if (test.y != train.y) __builtin_trap();  // The same table reads the same against itself.
    for (int64_t y : train.y) {
      if (y < 0 || y >= classes) __builtin_trap();
    }
  } catch (const slimlab::InputError&) {
  }
  return 0;
}
