#include "train/stored_model.h"

#include <filesystem>

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

}  // namespace slimlab
