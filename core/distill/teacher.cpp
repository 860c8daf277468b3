#include "distill/teacher.h"

#include <torch/script.h>
#include <torch/torch.h>

#include <sstream>

#include "distill/safetensors.h"
#include "models/features.h"
#include "models/model_factory.h"
#include "util/input_error.h"

namespace slimlab {
namespace {

std::string shape_text(at::IntArrayRef sizes) {
  std::ostringstream out;
  out << sizes;
  return out.str();
}

/// The refusal of a teacher's tensor holding NaN or Inf ("" when it holds none); `where` names
/// the file or the teacher, `name` the tensor (`parameter "layers.0.weight"`).
std::string non_finite_problem(const torch::Tensor& t, const std::string& where,
                               const std::string& name) {
  const int64_t bad = count_non_finite(t);
  if (bad == 0) return "";
  return where + ": " + name + " holds " + std::to_string(bad) +
         " non-finite values (NaN/Inf); a teacher's weights must be finite";
}

void require_finite(const torch::Tensor& t, const std::string& where, const std::string& name) {
  auto problem = non_finite_problem(t, where, name);
  if (!problem.empty()) throw InputError(problem);
}

class ModuleTeacher : public Teacher {
 public:
  ModuleTeacher(torch::nn::AnyModule model, std::string description)
      : model_(std::move(model)), description_(std::move(description)) {
    model_.ptr()->eval();
    for (auto& p : model_.ptr()->parameters()) p.set_requires_grad(false);
  }
  torch::Tensor logits(const torch::Tensor& x) override {
    torch::NoGradGuard no_grad;
    return model_.forward(x);
  }
  std::string description() const override { return description_; }
  int64_t params() const override { return count_parameters(*model_.ptr()); }
  torch::Tensor features(const torch::Tensor& x, const std::string& layer) override {
    torch::NoGradGuard no_grad;
    torch::Tensor out;
    try {
      forward_with_features(*model_.ptr(), x, out, layer);
    } catch (const std::invalid_argument& e) {
      throw InputError("teacher " + description_ + ": " + e.what());
    }
    return out;
  }

 private:
  torch::nn::AnyModule model_;
  std::string description_;
};

class ScriptTeacher : public Teacher {
 public:
  ScriptTeacher(torch::jit::Module module, std::string path)
      : module_(std::move(module)), path_(std::move(path)) {
    module_.eval();
    for (auto p : module_.parameters()) p.set_requires_grad(false);
  }
  torch::Tensor logits(const torch::Tensor& x) override {
    torch::NoGradGuard no_grad;
    return module_.forward({x}).toTensor();
  }
  std::string description() const override { return "TorchScript " + path_; }
  int64_t params() const override {
    int64_t n = 0;
    for (const auto& p : module_.parameters()) n += p.numel();
    return n;
  }

 private:
  mutable torch::jit::Module module_;
  std::string path_;
};

}  // namespace

int64_t count_non_finite(const torch::Tensor& t) {
  if (!t.defined() || !(t.is_floating_point() || t.is_complex())) return 0;
  return t.numel() - torch::isfinite(t).sum().item<int64_t>();
}

torch::Tensor Teacher::features(const torch::Tensor&, const std::string&) {
  throw InputError(description() +
                   ": feature hints need a SlimLab teacher (a stored run or "
                   "safetensors weights), not a TorchScript module");
}

std::unique_ptr<Teacher> teacher_from_module(torch::nn::AnyModule model, std::string description) {
  const std::string where = "teacher " + description;
  for (const auto& p : model.ptr()->named_parameters()) {
    require_finite(p.value(), where, "parameter \"" + p.key() + "\"");
  }
  for (const auto& b : model.ptr()->named_buffers()) {
    require_finite(b.value(), where, "buffer \"" + b.key() + "\"");
  }
  return std::make_unique<ModuleTeacher>(std::move(model), std::move(description));
}

std::unique_ptr<Teacher> teacher_from_torchscript(const std::string& path,
                                                  const std::vector<int64_t>& sample_shape,
                                                  int64_t classes) {
  torch::jit::Module module;
  try {
    module = torch::jit::load(path);
  } catch (const c10::Error& e) {
    throw InputError(path + ": not a TorchScript file (torch.jit.save output): " +
                     std::string(e.what_without_backtrace()).substr(0, 160));
  }
  for (const auto& p : module.named_parameters()) {
    require_finite(p.value, path, "parameter \"" + p.name + "\"");
  }
  for (const auto& b : module.named_buffers()) {
    require_finite(b.value, path, "buffer \"" + b.name + "\"");
  }
  auto teacher = std::make_unique<ScriptTeacher>(std::move(module), path);
  std::vector<int64_t> shape = {1};
  shape.insert(shape.end(), sample_shape.begin(), sample_shape.end());
  torch::Tensor out;
  try {
    out = teacher->logits(torch::zeros(shape));
  } catch (const std::exception& e) {
    throw InputError(path + ": the TorchScript teacher fails on an input of shape " +
                     shape_text(shape) + ": " + std::string(e.what()).substr(0, 200));
  }
  if (out.dim() != 2 || out.size(1) != classes) {
    throw InputError(path + ": the TorchScript teacher returns shape " + shape_text(out.sizes()) +
                     " for one example; the data needs [1, " + std::to_string(classes) + "]");
  }
  return teacher;
}

std::unique_ptr<Teacher> teacher_from_safetensors(const std::string& path, const ModelSpec& spec,
                                                  const std::vector<int64_t>& sample_shape,
                                                  int64_t classes) {
  auto tensors = read_safetensors(path);
  auto model = make_model_to_load(spec, sample_shape, classes);
  std::string problems, non_finite;
  torch::NoGradGuard no_grad;
  for (auto& item : model.ptr()->named_parameters()) {
    auto it = tensors.find(item.key());
    if (it == tensors.end()) {
      problems += "; missing " + item.key() + " " + shape_text(item.value().sizes());
    } else if (it->second.sizes() != item.value().sizes()) {
      problems += "; " + item.key() + " is " + shape_text(it->second.sizes()) +
                  ", the model needs " + shape_text(item.value().sizes());
    } else if (non_finite.empty()) {  // Reported after the architecture's mismatches.
      const std::string name = "tensor \"" + item.key() + "\"";
      non_finite = non_finite_problem(it->second, path, name);
      if (!non_finite.empty()) continue;
      item.value().copy_(it->second.to(item.value().dtype()));
      // Finite in the file but not once converted: a float64 beyond float32's range.
      if (int64_t bad = count_non_finite(item.value()); bad > 0) {
        non_finite = path + ": " + name + " holds " + std::to_string(bad) +
                     " values too large for the model's " +
                     c10::toString(item.value().scalar_type()) + " weights";
      }
    }
  }
  if (!problems.empty()) {
    throw InputError(path + ": does not fit the teacher's architecture" + problems);
  }
  if (!non_finite.empty()) throw InputError(non_finite);
  return teacher_from_module(model, "safetensors " + path);
}

}  // namespace slimlab
