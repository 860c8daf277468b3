#include "util/number_text.h"

namespace slimlab {

std::string thousands(int64_t value) {
  std::string s = std::to_string(value);
  const int first = value < 0 ? 1 : 0;  // Digits start after a minus sign.
  for (int i = int(s.size()) - 3; i > first; i -= 3) s.insert(size_t(i), ",");
  return s;
}

}  // namespace slimlab
