#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "spec/experiment_spec.h"
#include "spec/spec_paths.h"
#include "util/input_error.h"

using namespace slimlab;
using nlohmann::json;

namespace {

// The message of the InputError `f` throws, or "" when it throws none.
template <typename F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

json mlp_spec() {
  return json::parse(R"({"schema": 1, "name": "t", "seed": 3,
    "data": {"dataset": "spirals", "batch_size": 32},
    "model": {"kind": "mlp", "hidden": [16, 8]},
    "optimizer": {"kind": "sgd", "lr": 0.1},
    "schedule": {"epochs": 2}})");
}

}  // namespace

TEST(SpecTest, DefaultsRoundTripThroughJson) {
  ExperimentSpec spec;
  auto again = spec_from_json(spec_to_json(spec));
  EXPECT_EQ(spec_to_json(again), spec_to_json(spec));
  EXPECT_EQ(again.data.batch_size, 128);
  EXPECT_EQ(again.model.mlp.hidden(), (std::vector<int64_t>{256, 128}));
}

TEST(SpecTest, ReadsEveryGivenField) {
  auto spec = spec_from_json(mlp_spec());
  EXPECT_EQ(spec.name, "t");
  EXPECT_EQ(spec.seed, 3);
  EXPECT_EQ(spec.data.dataset, DatasetKind::Spirals);
  EXPECT_EQ(spec.data.batch_size, 32);
  EXPECT_EQ(spec.model.mlp.hidden(), (std::vector<int64_t>{16, 8}));
  EXPECT_EQ(spec.optimizer.kind, OptimizerKind::Sgd);
  EXPECT_DOUBLE_EQ(spec.optimizer.lr, 0.1);
  EXPECT_EQ(spec.schedule.epochs, 2);
  EXPECT_EQ(spec_to_json(spec_from_json(spec_to_json(spec))), spec_to_json(spec));
}

TEST(SpecTest, UnknownKeySuggestsTheNearestField) {
  auto j = mlp_spec();
  j["model"]["hiden"] = j["model"]["hidden"];
  j["model"].erase("hidden");
  auto message = error_of([&] { spec_from_json(j); });
  EXPECT_NE(message.find("model.hiden: unknown field; did you mean \"hidden\"?"), std::string::npos)
      << message;
}

TEST(SpecTest, OutOfRangeListEntryNamesItsIndex) {
  auto j = mlp_spec();
  j["model"]["hidden"] = {16, -3};
  EXPECT_EQ(error_of([&] { spec_from_json(j); }),
            "model.hidden[1]: must be between 1 and 65536, got -3");
}

TEST(SpecTest, WrongTypesAndRangesNameTheField) {
  auto j = mlp_spec();
  j["data"]["batch_size"] = "abc";
  EXPECT_EQ(error_of([&] { spec_from_json(j); }),
            "data.batch_size: must be an integer, got \"abc\"");
  j = mlp_spec();
  j["data"]["validation_share"] = 1.5;
  EXPECT_EQ(error_of([&] { spec_from_json(j); }),
            "data.validation_share: must be between 0 and 0.9, got 1.5");
  j = mlp_spec();
  j["optimizer"]["kind"] = "adamw";
  EXPECT_NE(error_of([&] { spec_from_json(j); }).find("optimizer.kind: must be one of adam, sgd"),
            std::string::npos);
  j = mlp_spec();
  j["data"] = 5;
  EXPECT_EQ(error_of([&] { spec_from_json(j); }), "data: must be an object, got an integer 5");
}

TEST(SpecTest, RefusesNewerSchemaAndImpossibleCombinations) {
  auto j = mlp_spec();
  j["schema"] = 2;
  EXPECT_NE(error_of([&] { spec_from_json(j); }).find("schema: this SlimLab reads spec schema 1"),
            std::string::npos);
  j = mlp_spec();
  j["model"] = {{"kind", "cnn"}};
  EXPECT_NE(error_of([&] { spec_from_json(j); }).find("model.kind: cnn needs image data"),
            std::string::npos);
  j = mlp_spec();
  j["schedule"] = {{"epochs", 0}, {"steps", 0}};
  EXPECT_NE(error_of([&] { spec_from_json(j); }).find("schedule.epochs"), std::string::npos);
}

TEST(SpecTest, OverridesSetNestedFieldsAndListEntries) {
  auto j = mlp_spec();
  apply_override(j, "model.hidden[1]=64");
  apply_override(j, "schedule.epochs=7");
  apply_override(j, "model.activation=tanh");
  apply_override(j, "data.noise=0.2");
  auto spec = spec_from_json(j);
  EXPECT_EQ(spec.model.mlp.hidden(), (std::vector<int64_t>{16, 64}));
  EXPECT_EQ(spec.schedule.epochs, 7);
  EXPECT_EQ(spec.model.mlp.activation(), Activation::Tanh);
  EXPECT_DOUBLE_EQ(spec.data.noise, 0.2);
  apply_override(j, "model.hidden=[4]");
  EXPECT_EQ(spec_from_json(j).model.mlp.hidden(), (std::vector<int64_t>{4}));
  EXPECT_NE(error_of([&] { apply_override(j, "model.hidden[3]=1"); }).find("no entry [3]"),
            std::string::npos);
  EXPECT_NE(error_of([&] { apply_override(j, "nonsense"); }).find("expected path.to.field=value"),
            std::string::npos);
  apply_override(j, "model.widht=3");  // Typos surface when the spec is validated.
  EXPECT_NE(error_of([&] { spec_from_json(j); }).find("model.widht: unknown field"),
            std::string::npos);
}

TEST(SpecTest, RejectsBrokenAndDeeplyNestedJson) {
  EXPECT_NE(error_of([] { parse_json_text("{\"a\": ", "x.json"); }).find("x.json: not valid JSON"),
            std::string::npos);
  std::string deep(1000, '[');
  EXPECT_NE(error_of([&] {
              parse_json_text(deep + std::string(1000, ']'), "d.json");
            }).find("deeper than 64"),
            std::string::npos);
  EXPECT_NE(error_of([] { load_json_file("/nonexistent/spec.json"); }).find("cannot open"),
            std::string::npos);
}

TEST(SpecTest, EveryShippedPresetIsValid) {
  int presets = 0;
  for (const auto& entry :
       std::filesystem::directory_iterator(std::string(SLIMLAB_SOURCE_DIR) + "/experiments")) {
    if (entry.path().extension() != ".json") continue;
    SCOPED_TRACE(entry.path().string());
    auto j = load_json_file(entry.path().string());
    EXPECT_NO_THROW(spec_from_json(j));
    ++presets;
  }
  EXPECT_GE(presets, 3);
}

TEST(SpecTest, NumbersTooLargeForJsonAreRefusedNotFatal) {
  // Found by fuzz_spec: nlohmann's out_of_range (not a parse_error) escaped and ended the program.
  try {
    parse_json_text(R"({"schema": 1, "seed": 1E1111})", "big.json");
    FAIL() << "an overflowing number was accepted";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("big.json: not valid JSON: number overflow"),
              std::string::npos)
        << e.what();
  }
}

TEST(SpecTest, RelativePathsInASpecFileMeanFilesBesideIt) {
  auto spec = json::parse(R"({
    "data": {"dataset": "idx", "path": "../data/fashion"},
    "distill": {"teachers": [{"safetensors": "teacher.safetensors"}, {"run": "cnn-fashion"},
                             {"torchscript": "/models/t.pt"}]}})");
  anchor_spec_paths(spec, "/home/ada/course/specs/kd.json");
  EXPECT_EQ(spec["data"]["path"], "/home/ada/course/data/fashion");
  EXPECT_EQ(spec["distill"]["teachers"][0]["safetensors"],
            "/home/ada/course/specs/teacher.safetensors");
  EXPECT_EQ(spec["distill"]["teachers"][1]["run"], "cnn-fashion");  // A run, not a file.
  EXPECT_EQ(spec["distill"]["teachers"][2]["torchscript"], "/models/t.pt");
  auto here = json::parse(R"({"data": {"path": "."}})");
  anchor_spec_paths(here, "/course/specs/x.json");
  EXPECT_EQ(here["data"]["path"], "/course/specs");  // The folder itself, no trailing slash.

  // Empty paths (the Debian package's data), wrong types and odd shapes are left for the spec
  // reader to name.
  auto odd =
      json::parse(R"({"data": {"path": ""}, "distill": {"teachers": [{"safetensors": 3}]}})");
  auto before = odd;
  anchor_spec_paths(odd, "specs/x.json");
  EXPECT_EQ(odd, before);
  for (const char* text : {"[]", "{\"data\": 1}", "{\"distill\": {\"teachers\": {}}}"}) {
    auto j = json::parse(text);
    anchor_spec_paths(j, "x.json");
    EXPECT_EQ(j, json::parse(text));
  }

  // Whatever is still relative afterwards (--set) is read against the working directory.
  ExperimentSpec read;
  read.data.path = "idx";
  make_spec_paths_absolute(read);
  EXPECT_EQ(read.data.path, (std::filesystem::current_path() / "idx").string());
}
