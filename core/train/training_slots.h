#pragma once

// Runs that train at the same time on one machine share its cores. Every trainer holds a slot
// (a lock file) while it lives; a run starting beside others takes its share of the cores when
// it chooses its threads: two runs with two spinning OpenMP threads each on two cores ran 5-13x
// slower than one alone. This is what the window does while a CLI run trains beside it, and
// what several CLI runs (a local sweep) do, whatever store each writes to.

#include <string>

namespace slimlab {

/// A live trainer's slot: `$XDG_RUNTIME_DIR/slimlab-training/` (else `/tmp/slimlab-training-UID/`)
/// holds one file per slot, locked with flock while the slot lives. A killed process's lock goes
/// with it, so a stale file is not counted (and is removed by the next count). Never throws:
/// without a place for slots, runs do not see each other.
class TrainingSlot {
 public:
  TrainingSlot();
  ~TrainingSlot();
  TrainingSlot(const TrainingSlot&) = delete;
  TrainingSlot& operator=(const TrainingSlot&) = delete;

 private:
  int fd_ = -1;
  std::string path_;
};

/// Slots held now by trainers other than this process's (any thread may call).
int other_training_slots();

}  // namespace slimlab
