// The "plan" spec section: the compression plan a run was made from (Tune's "Fine-tune this",
// `slimlab-cli tune --apply`), kept in the run's own spec and shown in its summary. The method
// sections beside it (prune, lowrank, quant, each pinned per layer) do the compressing; this one
// only records and checks that they are there. Registered through the method seam.
#include <nlohmann/json.hpp>

#include <algorithm>

#include "method/compression_method.h"
#include "method/method_registry.h"
#include "tune/compression_plan.h"
#include "util/input_error.h"

namespace slimlab {
namespace {

class PlanMethod : public CompressionMethod {
 public:
  explicit PlanMethod(CompressionPlan plan) : plan_(std::move(plan)) {}
  const char* key() const override { return "plan"; }
  std::string summarise(const FinishedRun&) override {
    nlohmann::json layers = nlohmann::json::array();
    for (const auto& [name, s] : plan_.layers) {
      nlohmann::json row = {{"layer", name}, {"setting", describe_setting(s)}};
      layers.push_back(row);
    }
    return nlohmann::json{{"layers", layers}}.dump();
  }

 private:
  CompressionPlan plan_;
};

MethodInfo plan_info() {
  MethodInfo info;
  info.key = "plan";
  info.label = "Tune plan";
  info.order = 400;
  info.offered_in_spec_form = false;  // Tune writes it.
  info.read = [](const nlohmann::json& section, const std::string& path) {
    return plan_to_json(plan_from_json(section, path));
  };
  info.make = [](nlohmann::json& section,
                 MethodBuild& build) -> std::unique_ptr<CompressionMethod> {
    auto plan = plan_from_json(section, "plan");
    auto has = [&](const char* key) {
      return std::find(build.spec_methods.begin(), build.spec_methods.end(), key) !=
             build.spec_methods.end();
    };
    for (const auto& [name, s] : plan.layers) {
      const char* needs = s.sparsity ? "prune" : s.rank ? "lowrank" : s.bits ? "quant" : nullptr;
      if (needs != nullptr && !has(needs)) {
        throw InputError("plan.layers." + name + ": the plan " + describe_setting(s) +
                         " but the spec has no \"" + needs +
                         "\" section to do it; a plan records how a run was made (slimlab-cli "
                         "tune RUN --plan FILE --apply writes both)");
      }
    }
    return std::make_unique<PlanMethod>(std::move(plan));
  };
  return info;
}

}  // namespace
}  // namespace slimlab

SLIMLAB_REGISTER_METHOD(plan, slimlab::plan_info())
