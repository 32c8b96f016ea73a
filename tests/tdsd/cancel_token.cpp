#include "tests/tdsd/cancel_token.hpp"

namespace tdsd {

void cancel_token::cancel() {
  {
    std::lock_guard lock(mutex_);
    cancelled_ = true;
  }
  cv_.notify_all();
}

void cancel_token::reset() {
  std::lock_guard lock(mutex_);
  cancelled_ = false;
}

bool cancel_token::cancelled() const {
  std::lock_guard lock(mutex_);
  return cancelled_;
}

bool cancel_token::sleep_for(std::chrono::milliseconds duration) {
  std::unique_lock lock(mutex_);
  return !cv_.wait_for(lock, duration, [this] { return cancelled_; });
}

}  // namespace tdsd
