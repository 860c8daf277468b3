#include "quant/quant_section.h"

#include <nlohmann/json.hpp>

#include <cmath>

#include "quant/observers.h"
#include "spec/spec_reader.h"

namespace slimlab {

const std::vector<std::string>& quant_scheme_names() {
  static const std::vector<std::string> kNames = {"symmetric", "affine"};
  return kNames;
}

const std::vector<std::string>& quant_granularity_names() {
  static const std::vector<std::string> kNames = {"per-channel", "per-tensor"};
  return kNames;
}

QuantOptions read_quant(const nlohmann::json& section, const std::string& path) {
  SpecReader r(section, path);
  QuantOptions o;
  r.integer("bits", o.bits, 2, 8);
  std::map<std::string, double> layer_bits;
  r.number_map("layer_bits", layer_bits, 2, 8);
  r.choice("scheme", o.scheme, quant_scheme_names());
  r.choice("granularity", o.granularity, quant_granularity_names());
  r.choice("observer", o.observer, range_observer_names());
  r.number("percentile", o.percentile, 50, 100);
  r.text_list("layers", o.layers, 256);
  r.run_reference("from_run", o.from_run);
  r.finish();
  if (o.percentile == 50) {
    throw InputError(path +
                     ".percentile: must be above 50 and at most 100 (the share of values "
                     "inside the range, in %), got " +
                     describe_json(o.percentile));
  }
  for (const auto& [layer, bits] : layer_bits) {
    if (std::floor(bits) != bits) {
      throw InputError(path + ".layer_bits." + layer + ": bits must be a whole number, got " +
                       describe_json(bits));
    }
    o.layer_bits[layer] = int64_t(bits);
  }
  return o;
}

nlohmann::json quant_to_json(const QuantOptions& o) {
  return {{"bits", o.bits},
          {"layer_bits", o.layer_bits},
          {"scheme", quant_scheme_names()[size_t(o.scheme)]},
          {"granularity", quant_granularity_names()[size_t(o.granularity)]},
          {"observer", range_observer_names()[size_t(o.observer)]},
          {"percentile", o.percentile},
          {"layers", o.layers},
          {"from_run", o.from_run}};
}

}  // namespace slimlab
