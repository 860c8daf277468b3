// The runtime-choice cache file's format: its parser (which the fuzz target drives) and writer.
#include <cmath>
#include <nlohmann/json.hpp>

#include "train/runtime_cache.h"
#include "util/input_error.h"

namespace slimlab {
namespace {

constexpr const char* kFormat = "slimlab-runtime-choice";
constexpr int kVersion = 1;
constexpr size_t kMaxCandidates = 64;

const char* name_of(GemmKind gemm) { return gemm == GemmKind::Blas ? "blas" : "onednn"; }

GemmKind gemm_of(const nlohmann::json& value, const std::string& where) {
  if (value.is_string()) {
    if (value == "onednn") return GemmKind::OneDnn;
    if (value == "blas") return GemmKind::Blas;
  }
  throw InputError(where + ": must be \"onednn\" or \"blas\", got " + value.dump());
}

int count_of(const nlohmann::json& value, const std::string& where, int low) {
  if (!value.is_number_integer() || value.get<int64_t>() < low || value.get<int64_t>() > 1024) {
    throw InputError(where + ": must be a whole number between " + std::to_string(low) +
                     " and 1024, got " + value.dump());
  }
  return int(value.get<int64_t>());
}

double amount_of(const nlohmann::json& value, const std::string& where) {
  if (!value.is_number() || !std::isfinite(value.get<double>()) || value.get<double>() < 0) {
    throw InputError(where + ": must be a finite number >= 0, got " + value.dump());
  }
  return value.get<double>();
}

const nlohmann::json& field(const nlohmann::json& object, const char* name,
                            const std::string& prefix) {
  auto it = object.find(name);
  if (it == object.end()) throw InputError(prefix + name + ": missing");
  return *it;
}

}  // namespace

std::pair<std::string, RuntimeChoice> parse_runtime_cache(const std::string& text,
                                                          const std::string& path) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  } catch (const nlohmann::json::exception&) {
    j = nlohmann::json::value_t::discarded;  // e.g. a number that overflows a double.
  }
  if (j.is_discarded() || !j.is_object()) {
    throw InputError(path + ": not a JSON object (a runtime-choice cache file)");
  }
  if (!j.contains("format") || j["format"] != kFormat) {
    throw InputError(path + ": format: must be \"" + kFormat + "\"");
  }
  if (field(j, "version", path + ": ") != kVersion) {
    throw InputError(path + ": version: " + j["version"].dump() + " is not " +
                     std::to_string(kVersion));
  }
  const auto& key = field(j, "key", path + ": ");
  if (!key.is_string()) throw InputError(path + ": key: must be text");
  RuntimeChoice c;
  c.source = RuntimeSource::Cached;
  c.threads = count_of(field(j, "threads", path + ": "), path + ": threads", 1);
  c.blas_threads = count_of(field(j, "blas_threads", path + ": "), path + ": blas_threads", 0);
  c.gemm = gemm_of(field(j, "gemm", path + ": "), path + ": gemm");
  c.measure_seconds =
      amount_of(field(j, "measure_seconds", path + ": "), path + ": measure_seconds");
  if (j.contains("others_busy_cores")) {  // Absent from files written before it was recorded.
    c.others_busy_cores = amount_of(j["others_busy_cores"], path + ": others_busy_cores");
    if (c.others_busy_cores > 1024) {
      throw InputError(path + ": others_busy_cores: must be at most 1024, got " +
                       j["others_busy_cores"].dump());
    }
  }
  const auto& measured = field(j, "measured", path + ": ");
  if (!measured.is_array() || measured.size() > kMaxCandidates) {
    throw InputError(path + ": measured: must be a list of at most " +
                     std::to_string(kMaxCandidates) + " candidates");
  }
  for (size_t i = 0; i < measured.size(); ++i) {
    const std::string where = path + ": measured[" + std::to_string(i) + "]";
    const auto& m = measured[i];
    if (!m.is_object()) throw InputError(where + ": must be an object");
    RuntimeChoice::Measured one;
    one.threads = count_of(field(m, "threads", where + "."), where + ".threads", 1);
    one.blas_threads = count_of(field(m, "blas_threads", where + "."), where + ".blas_threads", 0);
    one.gemm = gemm_of(field(m, "gemm", where + "."), where + ".gemm");
    one.steps_per_second =
        amount_of(field(m, "steps_per_second", where + "."), where + ".steps_per_second");
    one.rounds = count_of(field(m, "rounds", where + "."), where + ".rounds", 0);
    c.measured.push_back(one);
  }
  return {key.get<std::string>(), c};
}

nlohmann::json measured_to_json(const std::vector<RuntimeChoice::Measured>& candidates) {
  nlohmann::json measured = nlohmann::json::array();
  for (const auto& m : candidates) {
    measured.push_back({{"threads", m.threads},
                        {"blas_threads", m.blas_threads},
                        {"gemm", name_of(m.gemm)},
                        {"steps_per_second", m.steps_per_second},
                        {"rounds", m.rounds}});
  }
  return measured;
}

std::string runtime_cache_text(const std::string& key, const RuntimeChoice& choice) {
  const auto measured = measured_to_json(choice.measured);
  nlohmann::json j = {{"format", kFormat},
                      {"version", kVersion},
                      {"key", key},
                      {"threads", choice.threads},
                      {"blas_threads", choice.blas_threads},
                      {"gemm", name_of(choice.gemm)},
                      {"measure_seconds", choice.measure_seconds},
                      {"measured", measured}};
  if (choice.others_busy_cores >= 0) j["others_busy_cores"] = choice.others_busy_cores;
  return j.dump(1) + "\n";
}

}  // namespace slimlab
