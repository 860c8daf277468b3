#include "method/method_registry.h"

#include <torch/nn/modules/container/any.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <mutex>
#include <stdexcept>

namespace slimlab {
namespace {

struct Registry {
  std::mutex mutex;
  std::vector<std::unique_ptr<MethodInfo>> methods;
};

// Built on first use: registrations run during static initialisation, in no fixed order.
Registry& registry() {
  static Registry instance;
  return instance;
}

}  // namespace

void register_method(MethodInfo info) {
  if (info.key.empty() ||
      info.key.find_first_not_of("abcdefghijklmnopqrstuvwxyz") != std::string::npos) {
    throw std::logic_error("register_method: key \"" + info.key + "\" must be [a-z]+");
  }
  if (!info.read || !info.make) {
    throw std::logic_error("register_method: method \"" + info.key + "\" needs read and make");
  }
  auto& r = registry();
  std::lock_guard<std::mutex> lock(r.mutex);
  for (const auto& m : r.methods) {
    if (m->key == info.key) {
      throw std::logic_error("register_method: key \"" + info.key + "\" is registered twice");
    }
  }
  r.methods.push_back(std::make_unique<MethodInfo>(std::move(info)));
}

std::vector<const MethodInfo*> registered_methods() {
  auto& r = registry();
  std::lock_guard<std::mutex> lock(r.mutex);
  std::vector<const MethodInfo*> out;
  for (const auto& m : r.methods) out.push_back(m.get());
  std::sort(out.begin(), out.end(), [](const MethodInfo* a, const MethodInfo* b) {
    return a->order != b->order ? a->order < b->order : a->key < b->key;
  });
  return out;
}

const MethodInfo* find_registered_method(const std::string& key) {
  for (const auto* m : registered_methods()) {
    if (m->key == key) return m;
  }
  return nullptr;
}

void restructure_stored_model(torch::nn::AnyModule& model,
                              const std::map<std::string, std::string>& method_sections) {
  for (const auto* m : registered_methods()) {
    auto it = method_sections.find(m->key);
    if (it == method_sections.end() || !m->restructure) continue;
    m->restructure(model, nlohmann::json::parse(it->second));
  }
}

}  // namespace slimlab
