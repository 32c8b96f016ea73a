#include "gateway/login_limiter.hpp"

#include <algorithm>
#include <cctype>

namespace gateway {

login_limiter::login_limiter(std::size_t max_failures, std::chrono::seconds window,
                             std::size_t max_entries)
    : max_failures_(std::max<std::size_t>(max_failures, 1)),
      window_(window),
      max_entries_(std::max<std::size_t>(max_entries, 1)) {}

std::string login_limiter::key_of(std::string_view tenant, std::string_view user) {
    // user names compare case-insensitively, as SQL Server's default collation does
    std::string key(tenant);
    key += '\n';
    for (unsigned char c : user) key += static_cast<char>(std::tolower(c));
    return key;
}

std::optional<std::chrono::seconds> login_limiter::blocked_for(std::string_view tenant,
                                                               std::string_view user,
                                                               clock::time_point now) const {
    std::lock_guard lock(mutex_);
    const auto found = entries_.find(key_of(tenant, user));
    if (found == entries_.end() || found->second.failures < max_failures_) return std::nullopt;
    const auto ends = found->second.window_start + window_;
    if (now >= ends) return std::nullopt;
    // round up so a client never retries a moment too early
    auto wait = std::chrono::ceil<std::chrono::seconds>(ends - now);
    return std::max(wait, std::chrono::seconds(1));
}

void login_limiter::record_failure(std::string_view tenant, std::string_view user,
                                   clock::time_point now) {
    std::lock_guard lock(mutex_);
    const std::string key = key_of(tenant, user);
    auto found = entries_.find(key);
    if (found != entries_.end() && now >= found->second.window_start + window_) {
        oldest_.erase(found->second.age);
        entries_.erase(found);
        found = entries_.end();
    }
    if (found == entries_.end()) {
        make_room(now);
        oldest_.push_back(key);
        found = entries_.emplace(key, entry{0, now, std::prev(oldest_.end())}).first;
    }
    ++found->second.failures;
}

void login_limiter::record_success(std::string_view tenant, std::string_view user) {
    std::lock_guard lock(mutex_);
    const auto found = entries_.find(key_of(tenant, user));
    if (found == entries_.end()) return;
    oldest_.erase(found->second.age);
    entries_.erase(found);
}

std::size_t login_limiter::size() const {
    std::lock_guard lock(mutex_);
    return entries_.size();
}

void login_limiter::make_room(clock::time_point now) {
    // oldest_ is ordered by window start, so expired entries sit at its front
    while (!oldest_.empty()) {
        const auto found = entries_.find(oldest_.front());
        const bool expired = now >= found->second.window_start + window_;
        if (!expired && entries_.size() < max_entries_) return;
        entries_.erase(found);
        oldest_.pop_front();
    }
}

}  // namespace gateway
