#pragma once
// Failed-login throttling per tenant and username: after `max_failures` failures within
// `window` (counted from the first failure), further attempts are refused with 429 until
// the window ends. A success clears the entry. Memory is bounded: at most `max_entries`
// entries are kept; when full, expired entries are dropped, then the oldest one.

#include <chrono>
#include <cstddef>
#include <list>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace gateway {

/// Counts login failures per (tenant, username); thread-safe; clock injected for tests.
class login_limiter {
public:
    using clock = std::chrono::steady_clock;

    /// Limits: failures allowed per window, window length, entries kept at most.
    login_limiter(std::size_t max_failures, std::chrono::seconds window, std::size_t max_entries);

    /// How long the caller must wait before trying again; nullopt when allowed now.
    std::optional<std::chrono::seconds> blocked_for(std::string_view tenant, std::string_view user,
                                                    clock::time_point now) const;
    /// Records a failed attempt.
    void record_failure(std::string_view tenant, std::string_view user, clock::time_point now);
    /// Forgets the failures of a user who logged in successfully.
    void record_success(std::string_view tenant, std::string_view user);
    /// Entries kept now (for tests and metrics).
    std::size_t size() const;

private:
    struct entry {
        std::size_t failures = 0;
        clock::time_point window_start;
        std::list<std::string>::iterator age;  ///< position in oldest_
    };

    static std::string key_of(std::string_view tenant, std::string_view user);
    void make_room(clock::time_point now);

    std::size_t max_failures_;
    std::chrono::seconds window_;
    std::size_t max_entries_;
    mutable std::mutex mutex_;
    std::unordered_map<std::string, entry> entries_;
    std::list<std::string> oldest_;  ///< keys by first failure, oldest first
};

}  // namespace gateway
