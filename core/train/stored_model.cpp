#include "train/stored_model.h"

#include <nlohmann/json.hpp>

#include <filesystem>

#include "models/model_factory.h"
#include "train/trainer.h"
#include "util/input_error.h"

namespace slimlab {

StoredModel load_finished_run(const std::string& store_path, const std::string& reference,
                              const std::string& field) {
  if (!std::filesystem::exists(store_path)) {
    throw InputError(field + ": there is no run store at " + store_path + " to find \"" +
                     reference + "\" in");
  }
  RunStore store(store_path, RunStore::Access::ReadWrite);
  auto run = store.latest_finished(reference);
  if (!run) {
    try {
      run = store.find_run(reference);
    } catch (const StoreError&) {
      throw InputError(field + ": no finished run called or numbered \"" + reference + "\" in " +
                       store_path + "; train it first");
    }
  }
  const std::string which = "run " + std::to_string(run->id) + " (" + run->name + ")";
  if (run->status != "finished") {
    throw InputError(field + ": " + which + " is " + run->status + ", not finished");
  }
  auto checkpoint = store.latest_checkpoint(run->id);
  if (!checkpoint) throw InputError(field + ": " + which + " kept no checkpoint");
  return {*run, spec_from_json(parse_json_text(run->spec_json, which)),
          std::move(checkpoint->bytes)};
}

torch::nn::AnyModule make_stored_model(const StoredModel& stored,
                                       const std::vector<int64_t>& sample_shape, int64_t classes) {
  auto model = make_model_to_load(stored.spec.model, sample_shape, classes);
  restructure_stored_model(model, stored.spec.method_sections);
  return model;
}

StartingRun load_run_weights(torch::nn::Module& model, const ModelSpec& model_spec,
                             const std::string& store_path, const std::string& reference,
                             const std::string& field) {
  auto stored = load_finished_run(store_path, reference, field);
  const std::string which = "run " + std::to_string(stored.run.id) + " (" + stored.run.name + ")";
  if (model_to_json(stored.spec.model) != model_to_json(model_spec)) {
    throw InputError(field + ": " + which +
                     " trained another model: " + model_to_json(stored.spec.model).dump() +
                     "; this spec's model must be the same to start from its weights");
  }
  for (const auto& [key, section] : stored.spec.method_sections) {
    const auto* method = find_registered_method(key);
    if (method != nullptr && method->restructure) {
      throw InputError(field + ": " + which + " reshaped its network (" + method->label +
                       "); start from a run of the plain model");
    }
  }
  try {
    load_model_weights(model, stored.checkpoint);
  } catch (const InputError& e) {  // Its weights are damaged (NaN/Inf): not the data's fault.
    throw InputError(field + ": run " + std::to_string(stored.run.id) + ": " + e.what());
  } catch (const std::exception& e) {
    throw InputError(field + ": run " + std::to_string(stored.run.id) +
                     " does not fit this data: " + e.what());
  }
  StartingRun from;
  from.id = stored.run.id;
  from.uuid = stored.run.uuid;
  from.name = stored.run.name;
  RunStore store(store_path, RunStore::Access::ReadOnly);
  if (auto accuracy = store.last_value(stored.run.id, "test/accuracy")) {
    from.test_accuracy = *accuracy;
  }
  return from;
}

}  // namespace slimlab
