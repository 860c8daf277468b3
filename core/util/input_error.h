#pragma once

#include <stdexcept>
#include <string>

namespace slimlab {

/// A problem with user input (a spec, an override, a data file). The message is one line that
/// names the field or file, the value and what is allowed, e.g.
/// `model.hidden[1]: must be between 1 and 65536, got -3`.
class InputError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace slimlab
