#include "lowrank/lowrank_section.h"

#include <nlohmann/json.hpp>

#include <cmath>

#include "spec/spec_reader.h"

namespace slimlab {

LowRankOptions read_lowrank(const nlohmann::json& section, const std::string& path) {
  SpecReader r(section, path);
  LowRankOptions o;
  o.rank_ratio = 0;
  r.text_list("layers", o.layers, 256);
  r.integer("rank", o.rank, 0, 1'000'000);
  r.number("rank_ratio", o.rank_ratio, 0.0, 1.0);
  r.number("energy", o.energy, 0.0, 1.0);
  std::map<std::string, double> layer_rank;
  r.number_map("layer_rank", layer_rank, 1.0, 1'000'000.0);
  r.run_reference("from_run", o.from_run);
  r.integer("latency_batch", o.latency_batch, 1, 65536);
  r.finish();
  for (const auto& [layer, rank] : layer_rank) {
    if (std::floor(rank) != rank) {
      throw InputError(path + ".layer_rank." + layer + ": a rank must be a whole number, got " +
                       describe_json(rank));
    }
    o.layer_rank[layer] = int64_t(rank);
  }
  const char* chosen = nullptr;
  for (const auto& [key, value] : {std::pair<const char*, double>{"rank", double(o.rank)},
                                   {"rank_ratio", o.rank_ratio},
                                   {"energy", o.energy}}) {
    if (value == 0) continue;
    if (chosen != nullptr) {
      throw InputError(path + "." + key + ": set one of rank, rank_ratio and energy (" + chosen +
                       " is set too); leave the others 0");
    }
    chosen = key;
  }
  if (chosen == nullptr) o.rank_ratio = 0.25;
  return o;
}

nlohmann::json lowrank_to_json(const LowRankOptions& o) {
  return {{"layers", o.layers},
          {"rank", o.rank},
          {"rank_ratio", o.rank_ratio},
          {"energy", o.energy},
          {"layer_rank", o.layer_rank},
          {"from_run", o.from_run},
          {"latency_batch", o.latency_batch}};
}

}  // namespace slimlab
