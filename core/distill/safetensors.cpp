#include "distill/safetensors.h"

#include <torch/torch.h>

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <tuple>
#include <vector>

#include "util/input_error.h"

namespace slimlab {
namespace {

using nlohmann::json;

struct DtypeInfo {
  const char* name;
  torch::ScalarType type;
  int64_t bytes;
};

const DtypeInfo kDtypes[] = {
    {"F32", torch::kFloat32, 4},   {"F64", torch::kFloat64, 8}, {"F16", torch::kFloat16, 2},
    {"BF16", torch::kBFloat16, 2}, {"I64", torch::kInt64, 8},   {"I32", torch::kInt32, 4},
    {"I16", torch::kInt16, 2},     {"I8", torch::kInt8, 1},     {"U8", torch::kUInt8, 1},
    {"BOOL", torch::kBool, 1},
};

constexpr uint64_t kMaxHeader = 100u << 20;  // safetensors' own limit is 100 MB.
constexpr int64_t kMaxElements = int64_t(1) << 34;
// A valid header nests three levels ({name: {shape: [...]}}); deeper is refused before
// anything recursive (dump, destruction) meets it.
constexpr int kMaxDepth = 8;

const DtypeInfo* find_dtype(const std::string& name) {
  for (const auto& d : kDtypes) {
    if (name == d.name) return &d;
  }
  return nullptr;
}

/// A name in quotes, with JSON's escapes, so that a message stays one line whatever the file holds.
std::string json_quoted(const std::string& name) { return json(name).dump(); }

struct Entry {
  std::string name;
  std::vector<int64_t> shape;
  torch::ScalarType type;
  uint64_t begin, end;
};

/// Parses the header text, refusing what nlohmann would let through: a first byte other than
/// '{', deep nesting, and a key given twice in one object (nlohmann keeps the last copy; the
/// reference reader refuses the file, as two readers could see different tensors).
json parse_header(const std::string& text, const std::string& path) {
  if (text.empty() || text[0] != '{') {
    throw InputError(path + ": the header is not a JSON object: it must start with '{'");
  }
  // nlohmann stops at a NUL byte as at the end of the text, which would let anything follow it;
  // JSON has no place for one.
  if (auto nul = text.find('\0'); nul != std::string::npos) {
    throw InputError(path + ": the header is not a JSON object: invalid JSON at byte " +
                     std::to_string(nul + 1) + " of the header (a NUL byte)");
  }
  std::vector<std::set<std::string>> keys;  // The keys seen, per open object.
  std::string tensor;                       // The top-level key being read.
  std::string problem;                      // The first duplicate or depth problem.
  json::parser_callback_t check = [&](int depth, json::parse_event_t event, json& parsed) {
    if (!problem.empty()) return false;
    if (depth > kMaxDepth) {
      problem = "the header nests deeper than " + std::to_string(kMaxDepth) + " levels";
      return false;
    }
    if (event == json::parse_event_t::object_start) keys.emplace_back();
    if (event == json::parse_event_t::object_end && !keys.empty()) keys.pop_back();
    if (event != json::parse_event_t::key || keys.empty()) return true;
    const auto& key = parsed.get_ref<const std::string&>();
    if (keys.size() == 1) tensor = key;
    if (!keys.back().insert(key).second) {
      const std::string owner =
          tensor == "__metadata__" ? "__metadata__" : "tensor " + json_quoted(tensor);
      problem = keys.size() == 1
                    ? owner + " appears twice in the header (ambiguous)"
                    : owner + ": key " + json_quoted(key) + " appears twice (ambiguous)";
    }
    return true;
  };
  json header;
  try {
    header = json::parse(text, check);
  } catch (const json::parse_error& e) {
    throw InputError(path + ": the header is not a JSON object: invalid JSON at byte " +
                     std::to_string(e.byte) + " of the header");
  } catch (const json::exception& e) {  // e.g. a number too large for a double (406).
    throw InputError(path + ": the header is not a JSON object: " + e.what());
  }
  if (!problem.empty()) throw InputError(path + ": " + problem);
  if (!header.is_object()) throw InputError(path + ": the header is not a JSON object");
  return header;
}

void check_metadata(const json& metadata, const std::string& path) {
  if (!metadata.is_object()) {
    throw InputError(path + ": __metadata__ must map strings to strings, got " +
                     metadata.type_name());
  }
  for (const auto& [key, value] : metadata.items()) {
    if (!value.is_string()) {
      throw InputError(path + ": __metadata__ must map strings to strings; " + json_quoted(key) +
                       " is " + value.type_name());
    }
  }
}

Entry parse_entry(const std::string& name, const json& entry, uint64_t data_size,
                  const std::string& path) {
  const std::string where = path + ": tensor " + json_quoted(name);
  if (!entry.is_object()) {
    throw InputError(where + ": must be an object {dtype, shape, data_offsets}, got " +
                     entry.type_name());
  }
  for (const auto& item : entry.items()) {
    if (item.key() != "dtype" && item.key() != "shape" && item.key() != "data_offsets") {
      throw InputError(where + ": unknown key " + json_quoted(item.key()) +
                       " (an entry holds only dtype, shape and data_offsets)");
    }
  }
  if (entry.size() != 3 || !entry["dtype"].is_string() || !entry["shape"].is_array() ||
      !entry["data_offsets"].is_array() || entry["data_offsets"].size() != 2) {
    throw InputError(where + ": needs dtype, shape and two data_offsets");
  }
  const auto dtype_name = entry["dtype"].get<std::string>();
  const auto* dtype = find_dtype(dtype_name);
  if (dtype == nullptr) {
    throw InputError(where + ": unsupported dtype " + dtype_name +
                     " (SlimLab reads F64, F32, F16, BF16, I64, I32, I16, I8, U8 and BOOL)");
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
  const uint64_t begin = offsets[0].get<uint64_t>(), end = offsets[1].get<uint64_t>();
  if (begin > end || end > data_size) {
    throw InputError(where + ": data_offsets [" + std::to_string(begin) + ", " +
                     std::to_string(end) + "] run past the data (" + std::to_string(data_size) +
                     " bytes)");
  }
  if (end - begin != uint64_t(elements * dtype->bytes)) {
    throw InputError(where + ": " + std::to_string(end - begin) + " bytes, but " + dtype_name +
                     " x " + entry["shape"].dump() + " needs " +
                     std::to_string(elements * dtype->bytes));
  }
  return {name, shape, dtype->type, begin, end};
}

/// The format indexes its data entirely: sorted by offset, the tensors run back to back from
/// byte 0 to the end of the file, with no hole (where a second file could hide) and no overlap.
void check_coverage(std::vector<Entry>& entries, uint64_t data_size, const std::string& path) {
  std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
    return std::tie(a.begin, a.end) < std::tie(b.begin, b.end);
  });
  uint64_t covered = 0;
  const Entry* previous = nullptr;
  for (const auto& e : entries) {
    if (e.begin < covered) {
      throw InputError(path + ": tensors " + json_quoted(previous->name) + " and " +
                       json_quoted(e.name) + " overlap at byte " + std::to_string(e.begin) +
                       " of the data");
    }
    if (e.begin > covered) {
      throw InputError(path + ": tensor " + json_quoted(e.name) + ": bytes " +
                       std::to_string(covered) + ".." + std::to_string(e.begin) +
                       " of the data before it belong to no tensor (tensors must run back to "
                       "back from byte 0)");
    }
    covered = e.end;
    previous = &e;
  }
  if (entries.empty() && data_size > 0) {
    throw InputError(path + ": " + std::to_string(data_size) +
                     " bytes of data but no tensor in the header");
  }
  if (covered != data_size) {
    throw InputError(path + ": " + std::to_string(data_size - covered) +
                     " bytes after the last tensor belong to no tensor (the data is " +
                     std::to_string(data_size) + " bytes; the tensors cover " +
                     std::to_string(covered) + ")");
  }
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
  const json header = parse_header(header_text, path);

  // Every entry is checked, and the data's coverage with it, before anything is allocated: the
  // total allocation is then exactly the file's data.
  const uint64_t data_size = file_size - 8 - header_size;
  std::vector<Entry> entries;
  for (const auto& [name, entry] : header.items()) {
    if (name == "__metadata__") {
      check_metadata(entry, path);
    } else {
      entries.push_back(parse_entry(name, entry, data_size, path));
    }
  }
  check_coverage(entries, data_size, path);
  std::map<std::string, torch::Tensor> tensors;
  for (const auto& e : entries) {
    auto tensor = torch::empty(e.shape, torch::TensorOptions().dtype(e.type));
    in.seekg(std::streamoff(8 + header_size + e.begin));
    if (e.end > e.begin &&
        !in.read(static_cast<char*>(tensor.data_ptr()), std::streamsize(e.end - e.begin))) {
      throw InputError(path + ": tensor " + json_quoted(e.name) + ": could not read its bytes");
    }
    tensors.emplace(e.name, tensor);
  }
  return tensors;
}

void write_safetensors(const std::string& path,
                       const std::map<std::string, torch::Tensor>& tensors) {
  json header = json::object();
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
  text.append((8 - text.size() % 8) % 8, ' ');  // Aligns the data to 8 bytes, as safetensors does.
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  uint64_t n = text.size();
  for (int i = 0; i < 8; ++i) out.put(char((n >> (8 * i)) & 0xFF));
  out << text << data;
  if (!out) throw InputError(path + ": cannot write safetensors file");
}

}  // namespace slimlab
