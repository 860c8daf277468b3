#include "models/generator_guard.h"

#include <ATen/CPUGeneratorImpl.h>

#include "models/model_factory.h"

namespace slimlab {

GeneratorStateGuard::GeneratorStateGuard()
    : drawing_(generator_mutex()), generator_(at::detail::getDefaultCPUGenerator()) {
  std::lock_guard<std::mutex> lock(generator_.mutex());
  state_ = generator_.get_state();
}

GeneratorStateGuard::~GeneratorStateGuard() {
  std::lock_guard<std::mutex> lock(generator_.mutex());
  generator_.set_state(state_);
}

}  // namespace slimlab
