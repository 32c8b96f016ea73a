#include "tests/tdsd/fault_state.hpp"

namespace tdsd {

database_faults fault_state::for_database(std::string_view database) const {
  std::lock_guard lock(mutex_);
  const auto it = faults_.databases.find(upper(database));
  return it == faults_.databases.end() ? database_faults{} : it->second;
}

bool fault_state::refuse_logins() const {
  std::lock_guard lock(mutex_);
  return faults_.refuse_logins;
}

bool fault_state::stall() const {
  std::lock_guard lock(mutex_);
  return faults_.stall;
}

void fault_state::set_latency(std::string_view database, std::chrono::milliseconds fixed,
                              std::chrono::milliseconds jitter) {
  std::lock_guard lock(mutex_);
  auto& f = faults_.databases[upper(database)];
  f.latency = fixed;
  f.jitter = jitter;
}

void fault_state::set_drop_after_rows(std::string_view database, std::uint64_t rows) {
  std::lock_guard lock(mutex_);
  faults_.databases[upper(database)].drop_after_rows = rows;
}

void fault_state::set_cut_reply(std::string_view database, std::uint64_t bytes) {
  std::lock_guard lock(mutex_);
  faults_.databases[upper(database)].cut_reply_bytes = bytes;
}

void fault_state::set_fake_done(std::string_view database, std::uint64_t bytes) {
  std::lock_guard lock(mutex_);
  faults_.databases[upper(database)].fake_done_bytes = bytes;
}

void fault_state::set_drop_percent(std::string_view database, int percent) {
  std::lock_guard lock(mutex_);
  faults_.databases[upper(database)].drop_percent = percent;
}

void fault_state::set_refuse_logins(bool on) {
  std::lock_guard lock(mutex_);
  faults_.refuse_logins = on;
}

void fault_state::set_stall(bool on) {
  std::lock_guard lock(mutex_);
  faults_.stall = on;
}

void fault_state::reset() {
  std::lock_guard lock(mutex_);
  faults_ = fault_config{};
}

}  // namespace tdsd
