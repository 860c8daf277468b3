// The safetensors reader against the format's rules (huggingface/safetensors): headers, keys,
// dtypes, shapes and offsets that cover the data exactly; and the writer's files read back.
#include <gtest/gtest.h>

#include <torch/torch.h>

#include "distill/safetensors.h"
#include "test_files.h"
#include "util/input_error.h"

using namespace slimlab;
using namespace slimlab::testing;

namespace {

template <typename F>
std::string input_error(F&& f) {
  try {
    f();
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

/// A safetensors file: the 8-byte little-endian length, `header`, then `data`.
std::string safetensors_bytes(const std::string& header, const std::string& data) {
  std::string bytes;
  for (int i = 0; i < 8; ++i) bytes += char((uint64_t(header.size()) >> (8 * i)) & 0xFF);
  return bytes + header + data;
}

}  // namespace

TEST(SafetensorsTest, RoundTripsAndRefusesLyingHeaders) {
  TempDir dir;
  auto path = dir.file("w.safetensors");
  std::map<std::string, torch::Tensor> tensors = {
      {"a", torch::arange(6).reshape({2, 3}).to(torch::kFloat32)},
      {"b", torch::tensor({7, 8}, torch::kInt64)}};
  write_safetensors(path, tensors);
  auto back = read_safetensors(path);
  EXPECT_TRUE(torch::equal(back.at("a"), tensors.at("a")));
  EXPECT_TRUE(torch::equal(back.at("b"), tensors.at("b")));

  auto with_header = [&](const std::string& header, size_t data_bytes) {
    std::string bytes;
    uint64_t n = header.size();
    for (int i = 0; i < 8; ++i) bytes += char((n >> (8 * i)) & 0xFF);
    write_file(path, bytes + header + std::string(data_bytes, '\0'));
    return input_error([&] { read_safetensors(path); });
  };
  EXPECT_NE(with_header(R"({"x":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}})", 8)
                .find("run past the data"),
            std::string::npos);
  EXPECT_NE(with_header(R"({"x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                        R"("y":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})",
                        16)
                .find("overlap"),
            std::string::npos);
  EXPECT_NE(
      with_header(R"({"x":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", 8).find("needs 12"),
      std::string::npos);
  EXPECT_NE(with_header(
                R"({"x":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,8]}})", 8)
                .find("absurd"),
            std::string::npos);
  EXPECT_NE(with_header(R"({"x":{"dtype":"Q4","shape":[1],"data_offsets":[0,1]}})", 1)
                .find("unsupported dtype Q4"),
            std::string::npos);
  EXPECT_NE(with_header("not json at all", 0).find("not a JSON object"), std::string::npos);
  EXPECT_NE(with_header("{\"x\": ", 0).find("not a JSON object"), std::string::npos);
  write_file(path, "abc");
  EXPECT_NE(input_error([&] { read_safetensors(path); }).find("not a safetensors file"),
            std::string::npos);
  write_file(path, std::string("\xff\xff\xff\xff\0\0\0\0", 8) + "{}");
  EXPECT_NE(input_error([&] { read_safetensors(path); }).find("does not fit the file"),
            std::string::npos);
}

TEST(SafetensorsTest, ManyTensorsOverTheSameBytesAreRefusedBeforeAllocating) {
  TempDir dir;
  std::string header = "{";
  for (int i = 0; i < 1000; ++i) {
    header += (i ? "," : "") + std::string("\"t") + std::to_string(i) +
              "\":{\"dtype\":\"U8\",\"shape\":[64],\"data_offsets\":[0,64]}";
  }
  header += "}";
  std::string bytes;
  for (int i = 0; i < 8; ++i) bytes += char((uint64_t(header.size()) >> (8 * i)) & 0xFF);
  write_file(dir.file("lie.safetensors"), bytes + header + std::string(64, '\0'));
  EXPECT_NE(input_error([&] { read_safetensors(dir.file("lie.safetensors")); }).find("overlap"),
            std::string::npos);
}

TEST(SafetensorsTest, RefusesWhatTheFormatRefuses) {
  // Each case is one rule of the format (huggingface/safetensors), broken once.
  struct Case {
    std::string rule, header, data, expected;
  };
  const std::string x4 = R"("x":{"dtype":"F32","shape":[1],"data_offsets":[0,4]})";
  const std::vector<Case> cases = {
      {"a tensor name twice",
       "{" + x4 + R"(,"x":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})", std::string(8, '\0'),
       R"(tensor "x" appears twice in the header)"},
      {"a key twice in an entry",
       R"({"x":{"dtype":"F32","dtype":"I32","shape":[1],"data_offsets":[0,4]}})",
       std::string(4, '\0'), R"(tensor "x": key "dtype" appears twice)"},
      {"a hole between tensors",
       "{" + x4 + R"(,"y":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}})",
       std::string(12, '\0'),
       R"(tensor "y": bytes 4..8 of the data before it belong to no tensor)"},
      {"a hole before the first tensor",
       R"({"x":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})", std::string(8, '\0'),
       R"(tensor "x": bytes 0..4 of the data before it)"},
      {"bytes after the last tensor", "{" + x4 + "}", std::string(7, '\0'),
       "3 bytes after the last tensor belong to no tensor"},
      {"data but no tensors", "{}", std::string(2, '\0'), "2 bytes of data but no tensor"},
      {"a header not starting with '{'", " {" + x4 + "}", std::string(4, '\0'),
       "must start with '{'"},
      {"an empty header", "", "", "must start with '{'"},
      {"a header padded with NULs", "{" + x4 + "}" + std::string(3, '\0'), std::string(4, '\0'),
       "invalid JSON at byte"},
      {"metadata with a number", "{" + x4 + R"(,"__metadata__":{"format":"pt","epochs":3}})",
       std::string(4, '\0'), R"(__metadata__ must map strings to strings; "epochs" is number)"},
      {"metadata that is a list", "{" + x4 + R"(,"__metadata__":["pt"]})", std::string(4, '\0'),
       "__metadata__ must map strings to strings, got array"},
      {"metadata twice", R"({"__metadata__":{},"__metadata__":{}})", "",
       "__metadata__ appears twice"},
      {"an extra key in an entry",
       R"({"x":{"dtype":"F32","shape":[1],"data_offsets":[0,4],"offset":0}})", std::string(4, '\0'),
       R"(tensor "x": unknown key "offset")"},
      {"an entry that is not an object", R"({"x":[0,4]})", "", R"(tensor "x": must be an object)"},
      {"a dtype torch lacks", R"({"x":{"dtype":"U16","shape":[1],"data_offsets":[0,2]}})",
       std::string(2, '\0'), R"(tensor "x": unsupported dtype U16)"},
      {"a negative shape", R"({"x":{"dtype":"U8","shape":[-1],"data_offsets":[0,0]}})", "",
       "shape entries must be sizes"},
      {"three data_offsets", R"({"x":{"dtype":"U8","shape":[1],"data_offsets":[0,1,1]}})",
       std::string(1, '\0'), "two data_offsets"},
      {"deep nesting", R"({"x":{"shape":[[[[[[[[[[1]]]]]]]]]]}})", "", "nests deeper than"},
  };
  TempDir dir;
  const auto path = dir.file("bad.safetensors");
  for (const auto& c : cases) {
    write_file(path, safetensors_bytes(c.header, c.data));
    auto message = input_error([&] { read_safetensors(path); });
    EXPECT_NE(message.find(path + ": "), std::string::npos) << c.rule << ": " << message;
    EXPECT_NE(message.find(c.expected), std::string::npos)
        << c.rule << "\n  header: " << c.header << "\n  message: " << message;
  }
}

TEST(SafetensorsTest, AcceptsPaddingMetadataEmptyTensorsAndItsOwnFiles) {
  TempDir dir;
  const auto path = dir.file("ok.safetensors");
  // The reference writer pads the header with spaces to 8 bytes; zero-sized tensors may share
  // an offset; tensors may be listed in any order.
  const std::string header =
      R"({"__metadata__":{"format":"pt"},"b":{"dtype":"I16","shape":[2],"data_offsets":[4,8]},)"
      R"("a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},)"
      R"("e":{"dtype":"F32","shape":[0,3],"data_offsets":[4,4]}})"
      "     ";
  const float one = 1.0f;
  const int16_t b[2] = {-2, 7};
  std::string data(reinterpret_cast<const char*>(&one), 4);
  data.append(reinterpret_cast<const char*>(b), 4);
  write_file(path, safetensors_bytes(header, data));
  auto tensors = read_safetensors(path);
  ASSERT_EQ(tensors.size(), 3u);
  EXPECT_EQ(tensors.at("a").item<float>(), 1.0f);
  EXPECT_TRUE(torch::equal(tensors.at("b"), torch::tensor({-2, 7}, torch::kInt16)));
  EXPECT_EQ(tensors.at("e").sizes(), (std::vector<int64_t>{0, 3}));

  // What SlimLab writes, the stricter reader reads; the data starts 8-byte aligned.
  write_safetensors(path, {{"w", torch::ones({3})}, {"n", torch::tensor({5}, torch::kInt64)}});
  std::ifstream in(path, std::ios::binary);
  unsigned char length[8];
  in.read(reinterpret_cast<char*>(length), 8);
  EXPECT_EQ(length[0] % 8, 0);
  EXPECT_EQ(read_safetensors(path).size(), 2u);
}
