#pragma once

#include <QString>
#include <vector>

namespace slimlab {

/// A spec the user can start: a shipped preset or one the user saved.
struct LibraryEntry {
  QString title;  ///< File name without .json; saved specs are marked "(mine)".
  QString path;
};

/// Presets (SLIMLAB_EXPERIMENTS, the installed share/slimlab/experiments, or the source tree
/// of a development build) followed by the user's saved specs (user_spec_dir()).
std::vector<LibraryEntry> experiment_library();

/// Where "Save as preset" writes: $XDG_DATA_HOME/SlimLab/experiments.
QString user_spec_dir();

}  // namespace slimlab
