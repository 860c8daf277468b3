#pragma once

#include <torch/nn/module.h>
#include <torch/nn/modules/container/any.h>

#include <string>

#include "method/method_registry.h"
#include "spec/experiment_spec.h"
#include "store/run_store.h"

namespace slimlab {

/// A finished run's row, spec and newest checkpoint: what a teacher or an upcycled model is
/// built from.
struct StoredModel {
  RunRow run;
  ExperimentSpec spec;
  std::string checkpoint;
};

/// Finds a finished run by name (the newest of that name), id or uuid prefix in the store at
/// `store_path`. Throws InputError starting with `field` when there is no store, no such run,
/// or the run is unfinished or kept no checkpoint. Migrates an older store (the caller is about
/// to write a run into it).
StoredModel load_finished_run(const std::string& store_path, const std::string& reference,
                              const std::string& field);

/// The network `stored` trained, with its weights not yet loaded (load_model_weights with its
/// checkpoint): the spec's model, reshaped as its methods left it (factorised layers, ...).
/// Draws nothing from the run's random stream. Throws std::runtime_error when a method section
/// does not fit the model.
torch::nn::AnyModule make_stored_model(const StoredModel& stored,
                                       const std::vector<int64_t>& sample_shape, int64_t classes);

/// Loads the weights of the finished run `reference` (name, id or uuid prefix) into `model`,
/// built from `model_spec`: a network is compressed starting from what it learned. Throws
/// InputError starting with `field` when the run is missing or unfinished, trained another
/// model (or one a method reshaped, such as a factorised run), or its weights are damaged.
StartingRun load_run_weights(torch::nn::Module& model, const ModelSpec& model_spec,
                             const std::string& store_path, const std::string& reference,
                             const std::string& field);

}  // namespace slimlab
