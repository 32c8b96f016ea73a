#pragma once
// Cancellation shared between a session (ATTENTION, shutdown) and the worker running its query.
#include <chrono>
#include <condition_variable>
#include <mutex>

namespace tdsd {

/// A flag a worker polls and an interruptible sleep (tdsd_sleep waits on it).
class cancel_token {
 public:
  /// Marks the current request cancelled and wakes any sleep.
  void cancel();
  /// Clears the flag once the client has been told about the cancel.
  void reset();
  /// True after cancel() until reset().
  bool cancelled() const;
  /// Sleeps up to `duration`; returns false if woken by cancel().
  bool sleep_for(std::chrono::milliseconds duration);

 private:
  mutable std::mutex mutex_;
  std::condition_variable cv_;
  bool cancelled_ = false;
};

}  // namespace tdsd
