#include "spec/spec_reader.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <sstream>

namespace slimlab {
namespace {

const nlohmann::json& empty_object() {
  static const nlohmann::json kEmpty = nlohmann::json::object();
  return kEmpty;
}

std::string format_number(double v) {
  std::ostringstream out;
  out << v;
  return out.str();
}

std::string type_name(const nlohmann::json& v) {
  if (v.is_number_integer()) return "an integer";
  if (v.is_number()) return "a number";
  return std::string("a ") + v.type_name();
}

}  // namespace

std::string describe_json(const nlohmann::json& value) {
  std::string text = value.dump();
  if (text.size() > 40) text = text.substr(0, 37) + "...";
  return text;
}

namespace {
thread_local FieldRecorder* g_recorder = nullptr;
}  // namespace

FieldRecorder::FieldRecorder() : outer_(g_recorder) { g_recorder = this; }
FieldRecorder::~FieldRecorder() { g_recorder = outer_; }

void SpecReader::record(const char* key, FieldInfo::Kind kind, const nlohmann::json& current,
                        double min, double max, const std::vector<std::string>& choices,
                        bool names_run) const {
  if (g_recorder != nullptr) {
    g_recorder->fields.push_back({field(key), kind, min, max, choices, names_run, current.dump()});
  }
}

SpecReader::SpecReader(const nlohmann::json& object, std::string path)
    : object_(object), path_(std::move(path)) {
  if (!object_.is_object()) {
    throw InputError((path_.empty() ? std::string("spec") : path_) + ": must be an object, got " +
                     type_name(object_) + " " + describe_json(object_));
  }
}

std::string SpecReader::field(const std::string& key) const {
  return path_.empty() ? key : path_ + "." + key;
}

const nlohmann::json* SpecReader::find(const char* key) {
  known_.insert(key);
  auto it = object_.find(key);
  return it == object_.end() ? nullptr : &*it;
}

bool SpecReader::has(const char* key) const { return object_.contains(key); }

void SpecReader::known(const char* key) { known_.insert(key); }

void SpecReader::integer(const char* key, int64_t& out, int64_t min, int64_t max) {
  record(key, FieldInfo::Kind::Integer, out, double(min), double(max));
  const auto* v = find(key);
  if (v == nullptr) return;
  bool integral = v->is_number_integer() ||
                  (v->is_number_float() && std::floor(v->get<double>()) == v->get<double>() &&
                   std::abs(v->get<double>()) < 9e15);
  if (!integral) {
    throw InputError(field(key) + ": must be an integer, got " + describe_json(*v));
  }
  int64_t value = v->is_number_unsigned() && v->get<uint64_t>() > uint64_t(INT64_MAX)
                      ? INT64_MAX
                      : (v->is_number_float() ? int64_t(v->get<double>()) : v->get<int64_t>());
  if (value < min || value > max) {
    throw InputError(field(key) + ": must be between " + std::to_string(min) + " and " +
                     std::to_string(max) + ", got " + describe_json(*v));
  }
  out = value;
}

void SpecReader::number(const char* key, double& out, double min, double max) {
  record(key, FieldInfo::Kind::Number, out, min, max);
  const auto* v = find(key);
  if (v == nullptr) return;
  if (!v->is_number()) {
    throw InputError(field(key) + ": must be a number, got " + describe_json(*v));
  }
  double value = v->get<double>();
  if (!(value >= min && value <= max)) {
    throw InputError(field(key) + ": must be between " + format_number(min) + " and " +
                     format_number(max) + ", got " + describe_json(*v));
  }
  out = value;
}

void SpecReader::boolean(const char* key, bool& out) {
  record(key, FieldInfo::Kind::Boolean, out);
  const auto* v = find(key);
  if (v == nullptr) return;
  if (!v->is_boolean()) {
    throw InputError(field(key) + ": must be true or false, got " + describe_json(*v));
  }
  out = v->get<bool>();
}

void SpecReader::text(const char* key, std::string& out) {
  record(key, FieldInfo::Kind::Text, out);
  read_text(key, out);
}

void SpecReader::run_reference(const char* key, std::string& out) {
  record(key, FieldInfo::Kind::Text, out, 0, 0, {}, /*names_run=*/true);
  read_text(key, out);
}

void SpecReader::read_text(const char* key, std::string& out) {
  const auto* v = find(key);
  if (v == nullptr) return;
  if (!v->is_string()) {
    throw InputError(field(key) + ": must be a string, got " + describe_json(*v));
  }
  out = v->get<std::string>();
}

void SpecReader::choice(const char* key, int& index, const std::vector<std::string>& allowed) {
  record(key, FieldInfo::Kind::Choice,
         index >= 0 && size_t(index) < allowed.size() ? nlohmann::json(allowed[size_t(index)])
                                                      : nlohmann::json(),
         0, 0, allowed);
  const auto* v = find(key);
  if (v == nullptr) return;
  std::string list;
  for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
  if (!v->is_string()) {
    throw InputError(field(key) + ": must be one of " + list + ", got " + describe_json(*v));
  }
  auto value = v->get<std::string>();
  auto it = std::find(allowed.begin(), allowed.end(), value);
  if (it == allowed.end()) {
    auto near = nearest_word(value, allowed);
    throw InputError(field(key) + ": must be one of " + list + ", got \"" + value + "\"" +
                     (near.empty() ? "" : "; did you mean \"" + near + "\"?"));
  }
  index = int(it - allowed.begin());
}

void SpecReader::integer_list(const char* key, std::vector<int64_t>& out, int64_t min, int64_t max,
                              size_t min_length, size_t max_length) {
  record(key, FieldInfo::Kind::IntegerList, out, double(min), double(max));
  const auto* v = find(key);
  if (v == nullptr) return;
  if (!v->is_array()) {
    throw InputError(field(key) + ": must be a list of integers, got " + describe_json(*v));
  }
  if (v->size() < min_length || v->size() > max_length) {
    throw InputError(field(key) + ": must have between " + std::to_string(min_length) + " and " +
                     std::to_string(max_length) + " entries, got " + std::to_string(v->size()));
  }
  std::vector<int64_t> values;
  for (size_t i = 0; i < v->size(); ++i) {
    const auto& e = (*v)[i];
    std::string where = field(key) + "[" + std::to_string(i) + "]";
    if (!e.is_number_integer()) {
      throw InputError(where + ": must be an integer, got " + describe_json(e));
    }
    int64_t value = e.is_number_unsigned() && e.get<uint64_t>() > uint64_t(INT64_MAX)
                        ? INT64_MAX
                        : e.get<int64_t>();
    if (value < min || value > max) {
      throw InputError(where + ": must be between " + std::to_string(min) + " and " +
                       std::to_string(max) + ", got " + describe_json(e));
    }
    values.push_back(value);
  }
  out = std::move(values);
}

void SpecReader::number_list(const char* key, std::vector<double>& out, double min, double max,
                             size_t min_length, size_t max_length) {
  record(key, FieldInfo::Kind::NumberList, out, min, max);
  const auto* v = find(key);
  if (v == nullptr) return;
  if (!v->is_array() || v->size() < min_length || v->size() > max_length) {
    throw InputError(field(key) + ": must be a list of " + std::to_string(min_length) + " to " +
                     std::to_string(max_length) + " numbers, got " + describe_json(*v));
  }
  std::vector<double> values;
  for (size_t i = 0; i < v->size(); ++i) {
    const auto& e = (*v)[i];
    std::string where = field(key) + "[" + std::to_string(i) + "]";
    if (!e.is_number() || !(e.get<double>() >= min && e.get<double>() <= max)) {
      throw InputError(where + ": must be a number between " + format_number(min) + " and " +
                       format_number(max) + ", got " + describe_json(e));
    }
    values.push_back(e.get<double>());
  }
  out = std::move(values);
}

void SpecReader::text_list(const char* key, std::vector<std::string>& out, size_t max_length) {
  record(key, FieldInfo::Kind::TextList, out);
  const auto* v = find(key);
  if (v == nullptr) return;
  if (!v->is_array() || v->size() > max_length) {
    throw InputError(field(key) + ": must be a list of at most " + std::to_string(max_length) +
                     " strings, got " + describe_json(*v));
  }
  std::vector<std::string> values;
  for (size_t i = 0; i < v->size(); ++i) {
    if (!(*v)[i].is_string()) {
      throw InputError(field(key) + "[" + std::to_string(i) + "]: must be a string, got " +
                       describe_json((*v)[i]));
    }
    values.push_back((*v)[i].get<std::string>());
  }
  out = std::move(values);
}

void SpecReader::number_map(const char* key, std::map<std::string, double>& out, double min,
                            double max) {
  record(key, FieldInfo::Kind::Map, out, min, max);
  const auto* v = find(key);
  if (v == nullptr) return;
  if (!v->is_object()) {
    throw InputError(field(key) + ": must be an object of numbers, e.g. {\"layers.0\": 0.9}, got " +
                     describe_json(*v));
  }
  std::map<std::string, double> values;
  for (const auto& item : v->items()) {
    const auto& e = item.value();
    if (!e.is_number() || !(e.get<double>() >= min && e.get<double>() <= max)) {
      throw InputError(field(key) + "." + item.key() + ": must be a number between " +
                       format_number(min) + " and " + format_number(max) + ", got " +
                       describe_json(e));
    }
    values[item.key()] = e.get<double>();
  }
  out = std::move(values);
}

SpecReader SpecReader::object(const char* key) {
  const auto* v = find(key);
  return SpecReader(v == nullptr ? empty_object() : *v, field(key));
}

std::vector<SpecReader> SpecReader::object_list(const char* key, size_t min_length,
                                                size_t max_length) {
  std::vector<SpecReader> readers;
  const auto* v = find(key);
  if (v == nullptr) return readers;
  if (!v->is_array() || v->size() < min_length || v->size() > max_length) {
    throw InputError(field(key) + ": must be a list of " + std::to_string(min_length) + " to " +
                     std::to_string(max_length) + " objects, got " + describe_json(*v));
  }
  for (size_t i = 0; i < v->size(); ++i) {
    readers.emplace_back((*v)[i], field(key) + "[" + std::to_string(i) + "]");
  }
  return readers;
}

void SpecReader::finish(const std::string& scope) const {
  std::vector<std::string> allowed(known_.begin(), known_.end());
  for (const auto& item : object_.items()) {
    if (known_.count(item.key()) != 0) continue;
    std::string list;
    for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
    auto near = nearest_word(item.key(), allowed);
    throw InputError(field(item.key()) + ": unknown field" +
                     (near.empty() ? "" : "; did you mean \"" + near + "\"?") + " (allowed" +
                     (scope.empty() ? "" : " for " + scope) + ": " + list + ")");
  }
}

}  // namespace slimlab
