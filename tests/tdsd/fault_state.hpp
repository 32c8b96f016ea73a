#pragma once
// The faults in force right now: set from the config at start, changed by the control port.
#include <mutex>
#include <string>
#include <string_view>

#include "tests/tdsd/config.hpp"

namespace tdsd {

/// Thread-safe fault settings (sessions read them, the control port writes them).
class fault_state {
 public:
  /// Starts with the faults of the config file.
  explicit fault_state(fault_config initial) : faults_(std::move(initial)) {}

  /// The faults of one database (all off when none are set).
  database_faults for_database(std::string_view database) const;
  /// True while logins are refused with error 18456.
  bool refuse_logins() const;
  /// True while new connections are accepted and never answered.
  bool stall() const;

  /// Sets added latency and jitter for a database.
  void set_latency(std::string_view database, std::chrono::milliseconds fixed, std::chrono::milliseconds jitter);
  /// Closes connections after `rows` rows of a result (0 = off).
  void set_drop_after_rows(std::string_view database, std::uint64_t rows);
  /// Sends every reply without its last `bytes` bytes, in a message still framed whole
  /// (a server whose tokens end early: the client wants bytes that never come).
  void set_cut_reply(std::string_view database, std::uint64_t bytes);
  /// As set_cut_reply, then appends a final DONE token: the message ends the way a whole
  /// reply does while a token inside it is still short of its data.
  void set_fake_done(std::string_view database, std::uint64_t bytes);
  /// Kills the connection on `percent`% of queries.
  void set_drop_percent(std::string_view database, int percent);
  /// Turns login refusal on or off.
  void set_refuse_logins(bool on);
  /// Turns stalling of new connections on or off.
  void set_stall(bool on);
  /// Turns every fault off.
  void reset();

 private:
  mutable std::mutex mutex_;
  fault_config faults_;
};

}  // namespace tdsd
