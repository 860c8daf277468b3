#pragma once

#include <torch/nn/modules/container/any.h>
#include <torch/types.h>

#include <memory>
#include <string>
#include <vector>

#include "models/model_spec.h"

namespace slimlab {

/// A frozen model whose logits guide a student: eval mode, no gradients, never trained.
class Teacher {
 public:
  virtual ~Teacher() = default;
  /// Logits [B, classes] for inputs [B, ...] (no gradient).
  virtual torch::Tensor logits(const torch::Tensor& x) = 0;
  /// "run 3 (cnn-fashion)", "TorchScript teacher.pt", ...
  virtual std::string description() const = 0;
  virtual int64_t params() const = 0;
  /// The output of hint layer `layer` (see forward_with_features) for inputs x. Only SlimLab
  /// architectures have named layers; others throw InputError.
  virtual torch::Tensor features(const torch::Tensor& x, const std::string& layer);
};

/// How many values of `t` are NaN or +-Inf (0 for integer and bool tensors). A teacher whose
/// weights or logits hold any would make the student's first loss NaN, which reads as the student
/// diverging; teachers are refused for them at load (weights) and in Distiller::prepare (logits).
int64_t count_non_finite(const torch::Tensor& t);

/// A SlimLab network (from a stored run or safetensors weights), frozen here. Throws InputError
/// naming `description` and the first parameter or buffer holding NaN/Inf.
std::unique_ptr<Teacher> teacher_from_module(torch::nn::AnyModule model, std::string description);

/// A TorchScript module saved from PyTorch (`torch.jit.script(model).save(path)`). TorchScript
/// is code: load only files you trust. Checked on one batch of zeros: must map
/// [1, ...sample_shape] to [1, classes]. Throws InputError naming the file and the mismatch, or
/// the first parameter or buffer holding NaN/Inf.
std::unique_ptr<Teacher> teacher_from_torchscript(const std::string& path,
                                                  const std::vector<int64_t>& sample_shape,
                                                  int64_t classes);

/// Weights from a safetensors file loaded into the SlimLab architecture `model` (parameter names
/// as SlimLab's, e.g. `layers.0.weight`; `slimlab-cli export RUN --safetensors` writes them).
/// Throws InputError naming the file and every missing or mis-shaped tensor, or the first tensor
/// the model takes that holds NaN/Inf (or values beyond float32's range).
std::unique_ptr<Teacher> teacher_from_safetensors(const std::string& path, const ModelSpec& model,
                                                  const std::vector<int64_t>& sample_shape,
                                                  int64_t classes);

}  // namespace slimlab
