#include "distill/safetensors.h"

#include <torch/torch.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <vector>

#include "spec/spec_error.h"

namespace slimlab {
namespace {

struct DtypeInfo {
  const char* name;
  torch::ScalarType type;
  int64_t bytes;
};

const DtypeInfo kDtypes[] = {
    {"F32", torch::kFloat32, 4},   {"F64", torch::kFloat64, 8}, {"F16", torch::kFloat16, 2},
    {"BF16", torch::kBFloat16, 2}, {"I64", torch::kInt64, 8},   {"I32", torch::kInt32, 4},
    {"I8", torch::kInt8, 1},       {"U8", torch::kUInt8, 1},    {"BOOL", torch::kBool, 1},
};

constexpr uint64_t kMaxHeader = 100u << 20;  // safetensors' own limit is 100 MB.
constexpr int64_t kMaxElements = int64_t(1) << 34;

const DtypeInfo* find_dtype(const std::string& name) {
  for (const auto& d : kDtypes) {
    if (name == d.name) return &d;
  }
  return nullptr;
}

}  // namespace

std::map<std::string, torch::Tensor> read_safetensors(const std::string& path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) throw InputError(path + ": cannot open safetensors file");
  const uint64_t file_size = uint64_t(in.tellg());
  in.seekg(0);
  unsigned char length_bytes[8];
  if (file_size < 8 || !in.read(reinterpret_cast<char*>(length_bytes), 8)) {
    throw InputError(path + ": not a safetensors file (shorter than its 8-byte header length)");
  }
  uint64_t header_size = 0;
  for (int i = 7; i >= 0; --i) header_size = header_size << 8 | length_bytes[i];
  if (header_size > kMaxHeader || header_size > file_size - 8) {
    throw InputError(path + ": header length " + std::to_string(header_size) +
                     " does not fit the file (" + std::to_string(file_size) +
                     " bytes); not a safetensors file, or truncated");
  }
  std::string header_text(header_size, '\0');
  in.read(header_text.data(), std::streamsize(header_size));
  auto header = nlohmann::json::parse(header_text, nullptr, /*allow_exceptions=*/false);
  if (!header.is_object()) throw InputError(path + ": the header is not a JSON object");

  const uint64_t data_size = file_size - 8 - header_size;
  // Every entry is checked, and overlaps rejected, before anything is allocated: the total
  // allocation is then bounded by the file's own size.
  struct Entry {
    std::string name;
    std::vector<int64_t> shape;
    torch::ScalarType type;
    uint64_t begin, end;
  };
  std::vector<Entry> entries;
  std::vector<std::pair<uint64_t, uint64_t>> ranges;
  std::map<std::string, torch::Tensor> tensors;
  for (const auto& [name, entry] : header.items()) {
    if (name == "__metadata__") continue;
    const std::string where = path + ": tensor \"" + name + "\"";
    if (!entry.is_object() || !entry.contains("dtype") || !entry.contains("shape") ||
        !entry.contains("data_offsets") || !entry["dtype"].is_string() ||
        !entry["shape"].is_array() || !entry["data_offsets"].is_array() ||
        entry["data_offsets"].size() != 2) {
      throw InputError(where + ": needs dtype, shape and two data_offsets");
    }
    const auto* dtype = find_dtype(entry["dtype"].get<std::string>());
    if (dtype == nullptr) {
      throw InputError(where + ": unsupported dtype " + entry["dtype"].get<std::string>());
    }
    std::vector<int64_t> shape;
    int64_t elements = 1;
    for (const auto& d : entry["shape"]) {
      if (!d.is_number_unsigned() || d.get<uint64_t>() > uint64_t(kMaxElements)) {
        throw InputError(where + ": shape entries must be sizes below 2^34, got " + d.dump());
      }
      shape.push_back(d.get<int64_t>());
      // Checked before multiplying, so the product cannot overflow.
      if (shape.back() > 0 && elements > kMaxElements / shape.back()) {
        throw InputError(where + ": shape " + entry["shape"].dump() + " is absurdly large");
      }
      elements *= shape.back();
    }
    const auto& offsets = entry["data_offsets"];
    if (!offsets[0].is_number_unsigned() || !offsets[1].is_number_unsigned()) {
      throw InputError(where + ": data_offsets must be non-negative integers");
    }
    uint64_t begin = offsets[0].get<uint64_t>(), end = offsets[1].get<uint64_t>();
    if (begin > end || end > data_size) {
      throw InputError(where + ": data_offsets [" + std::to_string(begin) + ", " +
                       std::to_string(end) + "] run past the data (" + std::to_string(data_size) +
                       " bytes)");
    }
    if (end - begin != uint64_t(elements * dtype->bytes)) {
      throw InputError(where + ": " + std::to_string(end - begin) + " bytes, but " +
                       entry["dtype"].get<std::string>() + " x " + entry["shape"].dump() +
                       " needs " + std::to_string(elements * dtype->bytes));
    }
    ranges.emplace_back(begin, end);
    entries.push_back({name, shape, dtype->type, begin, end});
  }
  std::sort(ranges.begin(), ranges.end());
  for (size_t i = 1; i < ranges.size(); ++i) {
    if (ranges[i].first < ranges[i - 1].second) {
      throw InputError(path + ": two tensors overlap at byte " + std::to_string(ranges[i].first) +
                       " of the data");
    }
  }
  for (const auto& e : entries) {
    auto tensor = torch::empty(e.shape, torch::TensorOptions().dtype(e.type));
    in.seekg(std::streamoff(8 + header_size + e.begin));
    if (e.end > e.begin &&
        !in.read(static_cast<char*>(tensor.data_ptr()), std::streamsize(e.end - e.begin))) {
      throw InputError(path + ": tensor \"" + e.name + "\": could not read its bytes");
    }
    tensors.emplace(e.name, tensor);
  }
  return tensors;
}

void write_safetensors(const std::string& path,
                       const std::map<std::string, torch::Tensor>& tensors) {
  nlohmann::json header = nlohmann::json::object();
  std::string data;
  for (const auto& [name, t] : tensors) {
    auto c = t.contiguous().cpu();
    const char* dtype = c.scalar_type() == torch::kInt64 ? "I64" : "F32";
    if (c.scalar_type() != torch::kInt64) c = c.to(torch::kFloat32);
    auto begin = data.size();
    data.append(static_cast<const char*>(c.data_ptr()), size_t(c.nbytes()));
    header[name] = {
        {"dtype", dtype}, {"shape", c.sizes().vec()}, {"data_offsets", {begin, data.size()}}};
  }
  std::string text = header.dump();
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  uint64_t n = text.size();
  for (int i = 0; i < 8; ++i) out.put(char((n >> (8 * i)) & 0xFF));
  out << text << data;
  if (!out) throw InputError(path + ": cannot write safetensors file");
}

}  // namespace slimlab
