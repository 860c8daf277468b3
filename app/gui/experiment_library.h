#pragma once

#include <QString>
#include <vector>

namespace slimlab {

/// A spec the user can start: a shipped preset or one the user saved.
struct LibraryEntry {
  QString title;  ///< File name without .json; saved specs are marked "(mine)".
  QString path;
  /// One line on what the experiment shows, e.g. "8 experts, top-2 routing: ...".
  QString description;
  /// Expected wall time on a 2-core PC, e.g. "about 40 s"; "" when not measured (saved specs).
  QString runtime;
  /// What must exist before it can start, e.g. "a finished run named cnn-fashion"; "" if nothing.
  QString needs;

  /// The three facts as rich text for the label under the library.
  QString summary() const;
};

/// Presets (SLIMLAB_EXPERIMENTS, the installed share/slimlab/experiments, or the source tree
/// of a development build) followed by the user's saved specs (user_spec_dir()). Reads each
/// file for what it needs (teacher runs, upcycling source); call from the GUI thread at start
/// or after a save (a few small files).
std::vector<LibraryEntry> experiment_library();

/// Where "Save as preset" writes: $XDG_DATA_HOME/SlimLab/experiments.
QString user_spec_dir();

}  // namespace slimlab
