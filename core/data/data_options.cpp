#include "data/data_options.h"

namespace slimlab {

const std::vector<std::string>& dataset_names() {
  static const std::vector<std::string> names = {
      "fashion-mnist", "mnist", "idx", "spirals", "moons", "circles", "blobs", "xor", "csv"};
  return names;
}

const char* dataset_name(DatasetKind kind) { return dataset_names()[size_t(kind)].c_str(); }

bool is_image_dataset(DatasetKind kind) {
  return kind == DatasetKind::FashionMnist || kind == DatasetKind::Mnist ||
         kind == DatasetKind::Idx;
}

bool is_generated_dataset(DatasetKind kind) {
  return !is_image_dataset(kind) && kind != DatasetKind::Csv;
}

}  // namespace slimlab
