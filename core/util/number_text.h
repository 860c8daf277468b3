#pragma once
// Numbers as people read them in a terminal or on a projector.
#include <cstdint>
#include <string>

namespace slimlab {

/// 1234567 -> "1,234,567"; -1234 -> "-1,234".
std::string thousands(int64_t value);

}  // namespace slimlab
