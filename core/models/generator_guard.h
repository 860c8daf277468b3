#pragma once

#include <ATen/core/Generator.h>
#include <ATen/core/Tensor.h>

#include <mutex>

namespace slimlab {

/// While alive: holds generator_mutex() (models/model_factory.h); when it goes out of scope,
/// also through an exception, puts the default CPU generator back as it was. Code inside may
/// build layers (whose default initialisation draws random numbers) without taking anything
/// from a run's random stream. Not recursive, as generator_mutex() is not.
class GeneratorStateGuard {
 public:
  GeneratorStateGuard();
  ~GeneratorStateGuard();
  GeneratorStateGuard(const GeneratorStateGuard&) = delete;
  GeneratorStateGuard& operator=(const GeneratorStateGuard&) = delete;

 private:
  std::lock_guard<std::mutex> drawing_;
  at::Generator generator_;
  at::Tensor state_;
};

}  // namespace slimlab
