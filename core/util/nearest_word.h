#pragma once

// "Did you mean" for names a user typed: spec fields and enum values (spec/), layer names
// (prune/).

#include <cstddef>
#include <string>
#include <vector>

namespace slimlab {

/// Levenshtein distance, for "did you mean" suggestions.
size_t edit_distance(const std::string& a, const std::string& b);

/// The member of `candidates` nearest to `word`, or "" when none is close enough to help.
std::string nearest_word(const std::string& word, const std::vector<std::string>& candidates);

}  // namespace slimlab
