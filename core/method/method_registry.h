#pragma once

// The registry of compression methods (DESIGN.md, "method/"): each method's folder registers
// one MethodInfo (its spec section's reader and its factory) with SLIMLAB_REGISTER_METHOD, and
// the spec reader, the trainer's set-up, stored models and summaries loop over the registry.
// Adding a method touches its own folder and one line of core/CMakeLists.txt (the list that
// keeps each registration in the link).
//
// Distillation and pruning are not registered yet: spec/ reads their sections by name and
// train/spec_methods.cpp builds them before the registered methods.

#include <nlohmann/json_fwd.hpp>

#include <cmath>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

// No LibTorch here: the window's widgets list the methods, and Qt's `slots` macro breaks
// LibTorch's headers.
namespace torch::nn {
class AnyModule;
}  // namespace torch::nn

namespace slimlab {

class CompressionMethod;
struct DataSplits;
struct ModelSpec;

/// The finished run a method starts from (a spec field such as `lowrank.from_run`).
struct StartingRun {
  int64_t id = 0;
  std::string uuid;  ///< What the stored spec pins the field to.
  std::string name;
  double test_accuracy = NAN;  ///< [0, 1]; NaN when the run stored none.
};

/// What a method's factory gets besides its spec section. Called on the thread that builds the
/// trainer, before the run exists in the store (so bad input stores nothing).
struct MethodBuild {
  /// The network the trainer will train, freshly initialised from the spec's seed (a factory
  /// may change its weights or swap its layers: models/layer_surgery.h).
  torch::nn::AnyModule& model;
  const ModelSpec& model_spec;  ///< What `model` was built from.
  const DataSplits& data;
  int64_t total_steps = 0;
  int64_t seed = 0;
  /// Keys of every method section the spec holds ("distill", "prune", "lowrank", ...), so a
  /// method can refuse a combination it does not support.
  std::vector<std::string> spec_methods;
  /// Loads the weights of the finished run `reference` (name, id or uuid prefix) into `model`;
  /// throws InputError starting with `field` when there is none or its model is another.
  std::function<StartingRun(const std::string& field, const std::string& reference)>
      load_run_weights;
  /// Hears what is slow ("factorising 2 layers"); may be empty.
  std::function<void(const std::string&)> on_phase;
};

/// One compression method in the registry.
struct MethodInfo {
  /// The spec section's key and the run kind's part ("lowrank"); [a-z]+.
  std::string key;
  /// What a person reads ("Low-rank factorisation").
  std::string label;
  /// Where the method's hooks run among the others: lower first. Distillation (which
  /// re-weights the task loss) is first without being registered; registered methods use >= 100.
  int order = 100;
  /// Validates the spec's object under `key` field by field (spec/spec_reader.h, `path` = key)
  /// and returns it with every default written out: what the run store keeps. Throws
  /// InputError naming the field (`lowrank.energy: must be between 0 and 1, got 2`).
  std::function<nlohmann::json(const nlohmann::json& section, const std::string& path)> read;
  /// Builds the method for a run. `section` is read()'s output; the factory may pin it (a run
  /// name becomes its uuid, chosen ranks are written out) so that the stored spec rebuilds
  /// the same run. Throws InputError naming the field for what only the model or the data can
  /// tell (a layer that does not exist, a rank above the layer's).
  std::function<std::unique_ptr<CompressionMethod>(nlohmann::json& section, MethodBuild& build)>
      make;
  /// False for a section a program writes rather than a person (the plan Tune records with a
  /// run): the window's spec form does not offer it.
  bool offered_in_spec_form = true;
  /// Optional: gives a freshly built model the shape a finished run of this method trained
  /// (e.g. factorised layers), so the run's checkpoint loads into it. `section` is the stored
  /// (pinned) one. Throws std::runtime_error when the section does not fit the model.
  std::function<void(torch::nn::AnyModule& model, const nlohmann::json& section)> restructure;
};

/// Adds `info` to the registry. Throws std::logic_error for an empty or taken key. Called by
/// SLIMLAB_REGISTER_METHOD during static initialisation, or by a test's main.
void register_method(MethodInfo info);

/// Every registered method, by `order` (then key).
std::vector<const MethodInfo*> registered_methods();

/// The registered method with `key`, or null.
const MethodInfo* find_registered_method(const std::string& key);

/// Gives `model` (freshly built from a stored spec's model) the structure the stored spec's
/// method sections (`ExperimentSpec::method_sections`: key -> JSON text) trained, calling each
/// registered method's restructure(). Call before loading the run's checkpoint.
void restructure_stored_model(torch::nn::AnyModule& model,
                              const std::map<std::string, std::string>& method_sections);

}  // namespace slimlab

/// Registers a method when the program starts: `SLIMLAB_REGISTER_METHOD(lowrank, info())` in
/// the method's .cpp defines the symbol `slimlab_method_lowrank`, which core/CMakeLists.txt
/// names to the linker so the object is kept in every program linking the core.
#define SLIMLAB_REGISTER_METHOD(name, info_expression) \
  extern "C" {                                         \
  extern const bool slimlab_method_##name;             \
  const bool slimlab_method_##name = [] {              \
    ::slimlab::register_method(info_expression);       \
    return true;                                       \
  }();                                                 \
  }
