#include "gateway/auth/login_limiter.hpp"

#include <algorithm>
#include <utility>

#include <boost/asio/ip/address.hpp>

namespace gateway {

namespace asio = boost::asio;

namespace {

// Field separator of key texts: cannot appear in a company code, and user names from a
// JSON body that contain it still produce distinct keys because the tenant comes first.
constexpr char separator = '\x1f';

login_key make_key(login_budget budget, char kind, std::string_view tenant, std::string_view rest) {
    std::string text(1, kind);
    text += separator;
    text += tenant;
    text += separator;
    text += rest;
    return {budget, std::move(text)};
}

}  // namespace

std::string normalise_login_name(std::string_view name) {
    // SQL Server pads the shorter operand with spaces before comparing: only U+0020 counts
    const auto end = name.find_last_not_of(' ');
    name = end == std::string_view::npos ? std::string_view{} : name.substr(0, end + 1);
    std::string out(name);
    for (char& c : out) {
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    }
    return out;
}

login_key login_account_key(std::string_view tenant, std::string_view name) {
    return make_key(login_budget::account, 'u', tenant, normalise_login_name(name));
}

login_key login_user_id_key(std::string_view tenant, std::string_view user_id) {
    return make_key(login_budget::account, 'i', tenant, user_id);
}

login_key login_address_key(std::string_view address) {
    boost::system::error_code ec;
    const auto ip = asio::ip::make_address(std::string(address), ec);
    if (ec || !ip.is_v6()) return make_key(login_budget::address, 'a', {}, address);
    const auto v6 = ip.to_v6();
    if (v6.is_v4_mapped()) {
        return make_key(login_budget::address, 'a', {},
                        asio::ip::make_address_v4(asio::ip::v4_mapped, v6).to_string());
    }
    // one IPv6 client usually holds a whole /64: its budget is the prefix's
    auto bytes = v6.to_bytes();
    std::fill(bytes.begin() + 8, bytes.end(), 0);
    return make_key(login_budget::address, 'a', {}, asio::ip::address_v6(bytes).to_string() + "/64");
}

namespace {

/// Budgets and table size of at least one.
conf::login_limit_config at_least_one(conf::login_limit_config limits) {
    limits.max_failures = std::max<std::size_t>(limits.max_failures, 1);
    limits.per_address_max_failures = std::max<std::size_t>(limits.per_address_max_failures, 1);
    limits.max_entries = std::max<std::size_t>(limits.max_entries, 1);
    return limits;
}

}  // namespace

login_limiter::login_limiter(const conf::login_limit_config& limits, clock_function now)
    : limits_(at_least_one(limits)), now_(std::move(now)) {}

void login_limiter::set_limits(const conf::login_limit_config& limits) {
    std::lock_guard lock(mutex_);
    limits_ = at_least_one(limits);
    // a changed budget locks or unlocks keys counted under the old one
    for (auto& [text, e] : entries_) relist(e);
    shrink_to(limits_.max_entries, now_());
}

std::size_t login_limiter::budget_of(login_budget budget) const noexcept {
    return budget == login_budget::address ? limits_.per_address_max_failures : limits_.max_failures;
}

std::optional<login_refusal> login_limiter::refusal_for(const login_key& key, clock::time_point now) const {
    const auto found = entries_.find(key.text);
    if (found == entries_.end()) return std::nullopt;
    const entry& e = found->second;
    const auto ends = e.window_start + limits_.window;
    const std::size_t failures = now >= ends ? 0 : e.failures;
    if (failures + e.pending < budget_of(key.budget)) return std::nullopt;
    // spent by attempts still in flight only: they end within moments
    if (failures < budget_of(key.budget)) return login_refusal{key.budget, std::chrono::seconds(1)};
    // round up so a client never retries a moment too early
    const auto wait = std::chrono::ceil<std::chrono::seconds>(ends - now);
    return login_refusal{key.budget, std::max(wait, std::chrono::seconds(1))};
}

std::optional<login_refusal> login_limiter::reserve(std::span<const login_key> keys) {
    const auto now = now_();
    std::lock_guard lock(mutex_);
    for (const auto& key : keys) {
        if (auto refusal = refusal_for(key, now)) return refusal;
    }
    for (const auto& key : keys) ++fresh_entry(key, now).pending;
    return std::nullopt;
}

void login_limiter::fail(std::span<const login_key> keys) {
    const auto now = now_();
    std::lock_guard lock(mutex_);
    for (const auto& key : keys) {
        entry& e = fresh_entry(key, now);
        if (e.pending > 0) --e.pending;
        ++e.failures;
        relist(e);
    }
}

void login_limiter::succeed(std::span<const login_key> keys) {
    std::lock_guard lock(mutex_);
    for (const auto& key : keys) {
        const auto found = entries_.find(key.text);
        if (found == entries_.end()) continue;
        entry& e = found->second;
        if (e.pending > 0) --e.pending;
        // the account proved its password; an address keeps its failures
        if (key.budget == login_budget::account) e.failures = 0;
        if (e.failures == 0 && e.pending == 0) {
            erase(found);
        } else {
            relist(e);
        }
    }
}

void login_limiter::release(std::span<const login_key> keys) {
    std::lock_guard lock(mutex_);
    for (const auto& key : keys) {
        const auto found = entries_.find(key.text);
        if (found == entries_.end()) continue;
        entry& e = found->second;
        if (e.pending > 0) --e.pending;
        if (e.failures == 0 && e.pending == 0) erase(found);
    }
}

void login_limiter::lock_out(const login_key& key, std::chrono::seconds retry_after) {
    const auto now = now_();
    std::lock_guard lock(mutex_);
    entry& e = fresh_entry(key, now);
    const auto ends = now + std::min<clock::duration>(retry_after, limits_.window);
    const bool locked_longer = e.failures >= budget_of(key.budget) && e.window_start + limits_.window >= ends;
    if (locked_longer) return;
    // a window that ends when the shared one does
    e.window_start = ends - limits_.window;
    e.failures = std::max(e.failures, budget_of(key.budget));
    relist(e);
}

std::size_t login_limiter::size() const {
    std::lock_guard lock(mutex_);
    return entries_.size();
}

login_limiter::entry& login_limiter::fresh_entry(const login_key& key, clock::time_point now) {
    auto found = entries_.find(key.text);
    if (found == entries_.end()) {
        make_room(now);
        open_.push_back(key.text);
        entry created{key.budget, 0, 0, now, false, std::prev(open_.end())};
        return entries_.emplace(key.text, created).first->second;
    }
    entry& e = found->second;
    if (now >= e.window_start + limits_.window) {
        // a new window: past failures are forgotten, attempts in flight stay counted
        e.failures = 0;
        e.window_start = now;
        relist(e);
        open_.splice(open_.end(), open_, e.age);  // the youngest now
    }
    return e;
}

void login_limiter::relist(entry& e) {
    const bool locked = e.failures >= budget_of(e.budget);
    if (locked == e.locked) return;
    age_list& from = e.locked ? locked_ : open_;
    age_list& to = locked ? locked_ : open_;
    to.splice(to.end(), from, e.age);
    e.locked = locked;
}

void login_limiter::erase(std::unordered_map<std::string, entry>::iterator found) {
    (found->second.locked ? locked_ : open_).erase(found->second.age);
    entries_.erase(found);
}

void login_limiter::drop_expired(age_list& list, clock::time_point now) {
    // lists are kept roughly by window start: expired keys gather at the front
    while (!list.empty()) {
        const auto found = entries_.find(list.front());
        if (now < found->second.window_start + limits_.window) return;
        erase(found);
    }
}

void login_limiter::make_room(clock::time_point now) { shrink_to(limits_.max_entries - 1, now); }

void login_limiter::shrink_to(std::size_t size, clock::time_point now) {
    if (entries_.size() <= size) return;
    drop_expired(open_, now);
    drop_expired(locked_, now);
    while (entries_.size() > size) {
        age_list& victims = open_.empty() ? locked_ : open_;
        erase(entries_.find(victims.front()));
    }
}

}  // namespace gateway
