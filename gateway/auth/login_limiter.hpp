#pragma once
// Failed-login budgets. Every login attempt first reserves one slot in each of its keys'
// budgets (all or none), before the password is checked: an attempt in flight counts as
// a failure until it ends. A failed attempt keeps its slots as failures; a success
// releases them and clears the account's failures; an attempt that never reached the
// password check (database down) just releases them. Two budgets:
//   account  per tenant and account: the normalised user name (login_account_key) and,
//            once the database found the row, its user id (login_user_id_key), so every
//            spelling the database resolves to the same row shares one budget;
//   address  per client address, across tenants and user names.
// A key whose failures and pending attempts reach its budget within `window` (counted
// from the key's first attempt) is refused with 429 until the window ends. Memory is
// bounded: at most `max_entries` keys are kept; when full, expired keys are dropped, then
// the oldest key under its budget, and only when every key is locked the oldest locked.

#include <chrono>
#include <cstddef>
#include <functional>
#include <list>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "conf/config.hpp"

namespace gateway {

/// Which budget a key counts against.
enum class login_budget { account, address };

/// A key of the limiter: the budget it counts against and its text.
struct login_key {
    login_budget budget = login_budget::account;
    std::string text;
};

/// A user name as SQL Server's `=` compares it under the default collation: trailing
/// spaces removed, ASCII letters lower-cased (other Unicode case and width variants are
/// caught by the user-id key once the database resolved the name).
std::string normalise_login_name(std::string_view name);
/// The account key of a (tenant, user name) pair, the name normalised.
login_key login_account_key(std::string_view tenant, std::string_view name);
/// The account key of the row the database returned for a login.
login_key login_user_id_key(std::string_view tenant, std::string_view user_id);
/// The key of a client address.
login_key login_address_key(std::string_view address);

/// Why an attempt is refused: the budget that is spent and when to come back.
struct login_refusal {
    login_budget budget = login_budget::account;
    std::chrono::seconds retry_after{1};
};

/// Counts pending and failed logins per key; thread-safe; clock injected for tests.
class login_limiter {
public:
    using clock = std::chrono::steady_clock;
    using clock_function = std::function<clock::time_point()>;

    /// Budgets, window and table size from `auth.login_limit`; windows are read on `now`.
    explicit login_limiter(const conf::login_limit_config& limits, clock_function now = clock::now);

    /// Takes one slot in every key's budget, or none when one of them is spent.
    std::optional<login_refusal> reserve(std::span<const login_key> keys);
    /// Turns the keys' reserved slots into failures.
    void fail(std::span<const login_key> keys);
    /// Releases the keys' slots and clears the failures of their account keys.
    void succeed(std::span<const login_key> keys);
    /// Releases the keys' slots without counting anything.
    void release(std::span<const login_key> keys);
    /// Counts the key as spent for `retry_after` from now, or until its window ends if
    /// that is later: a lockout learned from the shared store (gateway/auth/login_slots.hpp),
    /// kept here so that it holds through a Redis outage.
    void lock_out(const login_key& key, std::chrono::seconds retry_after);
    /// New budgets, window and table size (configuration reload): counts kept so far are
    /// judged by the new budgets and window; a smaller table drops keys as when full.
    void set_limits(const conf::login_limit_config& limits);
    /// Keys kept now (for tests and metrics).
    std::size_t size() const;

private:
    using age_list = std::list<std::string>;

    struct entry {
        login_budget budget = login_budget::account;
        std::size_t failures = 0;
        std::size_t pending = 0;
        clock::time_point window_start;
        bool locked = false;     ///< in locked_ (failures reached the budget), else in open_
        age_list::iterator age;  ///< position in its list
    };

    std::size_t budget_of(login_budget budget) const noexcept;
    std::optional<login_refusal> refusal_for(const login_key& key, clock::time_point now) const;
    entry& fresh_entry(const login_key& key, clock::time_point now);
    void relist(entry& e);
    void erase(std::unordered_map<std::string, entry>::iterator found);
    void drop_expired(age_list& list, clock::time_point now);
    void make_room(clock::time_point now);
    void shrink_to(std::size_t size, clock::time_point now);

    conf::login_limit_config limits_;
    clock_function now_;
    mutable std::mutex mutex_;
    std::unordered_map<std::string, entry> entries_;
    // Two lists, oldest first, so that a flood of new keys evicts keys still under their
    // budget before any locked one: unlocking a victim takes max_entries locked keys.
    age_list open_;
    age_list locked_;
};

}  // namespace gateway
