#pragma once

#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "util/input_error.h"
#include "util/nearest_word.h"

namespace slimlab {

/// One field a SpecReader was asked for: what a generated spec form builds its editor from.
struct FieldInfo {
  enum class Kind {
    Integer,
    Number,
    Boolean,
    Text,
    Choice,
    IntegerList,
    NumberList,
    TextList,
    Map
  };
  std::string path;  ///< "prune.sparsity", "distill.teachers[0].run".
  Kind kind = Kind::Text;
  double min = 0, max = 0;           ///< Integer, Number and their lists.
  std::vector<std::string> choices;  ///< Choice.
  /// Text that names a finished run of the store (its name, id or uuid prefix; "" = none):
  /// a form offers the store's finished runs and checks the name before starting.
  bool names_run = false;
  /// The value the reader uses when the field is absent, as JSON text ("0.01", "\"relu\"",
  /// "[256, 128]"): what a form shows for a field the spec does not write out.
  std::string default_json;
};

/// While one is alive, every SpecReader on this thread records the fields it reads into
/// `fields`, in reading order (nested recorders: the innermost one records).
struct FieldRecorder {
  FieldRecorder();
  ~FieldRecorder();
  FieldRecorder(const FieldRecorder&) = delete;
  FieldRecorder& operator=(const FieldRecorder&) = delete;
  std::vector<FieldInfo> fields;

 private:
  FieldRecorder* outer_;
};

/// Reads one JSON object of a spec field by field, checking types and ranges and naming the full
/// field path in every error. Fields not present keep the caller's default. `finish()` rejects
/// keys nobody asked for and suggests the nearest known one.
///   SpecReader r(j, "data");
///   r.integer("batch_size", spec.batch_size, 1, 65536);
///   r.finish();
class SpecReader {
 public:
  SpecReader(const nlohmann::json& object, std::string path);

  void integer(const char* key, int64_t& out, int64_t min, int64_t max);
  void number(const char* key, double& out, double min, double max);
  void boolean(const char* key, bool& out);
  void text(const char* key, std::string& out);
  /// A string naming a finished run of the store (name, id or uuid prefix); recorded with
  /// FieldInfo::names_run. The reader checks only that it is a string: the run is found at start.
  void run_reference(const char* key, std::string& out);
  /// A string that must be one of `allowed`; returns the index into `allowed`.
  void choice(const char* key, int& index, const std::vector<std::string>& allowed);
  void integer_list(const char* key, std::vector<int64_t>& out, int64_t min, int64_t max,
                    size_t min_length, size_t max_length);
  void number_list(const char* key, std::vector<double>& out, double min, double max,
                   size_t min_length, size_t max_length);
  void text_list(const char* key, std::vector<std::string>& out, size_t max_length);
  /// An object of numbers under free-form keys (e.g. layer names): {"layers.0": 0.9}.
  void number_map(const char* key, std::map<std::string, double>& out, double min, double max);
  /// A nested object; absent means an empty object (all defaults).
  SpecReader object(const char* key);
  /// A list of objects; each element's reader has the path `key[i]`. Absent means empty.
  std::vector<SpecReader> object_list(const char* key, size_t min_length, size_t max_length);
  /// Declares a key as known without reading it (read elsewhere).
  void known(const char* key);
  bool has(const char* key) const;
  const std::string& path() const { return path_; }

  /// Throws InputError for the first key that was never read or declared. `scope` names what
  /// decides the allowed keys, e.g. `model.kind "cnn"`.
  void finish(const std::string& scope = "") const;

 private:
  std::string field(const std::string& key) const;
  /// `current`: the caller's default, as JSON.
  void record(const char* key, FieldInfo::Kind kind, const nlohmann::json& current, double min = 0,
              double max = 0, const std::vector<std::string>& choices = {},
              bool names_run = false) const;
  void read_text(const char* key, std::string& out);
  const nlohmann::json* find(const char* key);

  const nlohmann::json& object_;
  std::string path_;
  std::set<std::string> known_;
};

/// A short rendering of a JSON value for error messages (strings quoted, long values cut).
std::string describe_json(const nlohmann::json& value);

}  // namespace slimlab
