#include "train/training_slots.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>

namespace slimlab {
namespace {

std::string slot_directory() {
  if (const char* runtime = std::getenv("XDG_RUNTIME_DIR"); runtime != nullptr && *runtime) {
    return std::string(runtime) + "/slimlab-training";
  }
  return "/tmp/slimlab-training-" + std::to_string(::getuid());
}

std::string own_prefix() { return std::to_string(::getpid()) + "-"; }

std::atomic<int> g_next_slot{0};

}  // namespace

TrainingSlot::TrainingSlot() {
  std::error_code ec;
  const auto dir = slot_directory();
  std::filesystem::create_directories(dir, ec);
  if (ec) return;
  path_ = dir + "/" + own_prefix() + std::to_string(g_next_slot++) + ".lock";
  fd_ = ::open(path_.c_str(), O_CREAT | O_RDWR | O_CLOEXEC, 0600);
  if (fd_ >= 0 && ::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
    ::close(fd_);
    fd_ = -1;
  }
}

TrainingSlot::~TrainingSlot() {
  if (fd_ < 0) return;
  ::unlink(path_.c_str());
  ::close(fd_);  // Releases the lock.
}

int other_training_slots() {
  std::error_code ec;
  int live = 0;
  const auto own = own_prefix();
  for (const auto& entry : std::filesystem::directory_iterator(slot_directory(), ec)) {
    const auto name = entry.path().filename().string();
    if (name.rfind(own, 0) == 0 || entry.path().extension() != ".lock") continue;
    int fd = ::open(entry.path().c_str(), O_RDWR | O_CLOEXEC);
    if (fd < 0) continue;
    if (::flock(fd, LOCK_EX | LOCK_NB) == 0) {
      // Nobody holds it: its process ended without cleaning up.
      std::filesystem::remove(entry.path(), ec);
    } else {
      ++live;
    }
    ::close(fd);
  }
  return live;
}

}  // namespace slimlab
