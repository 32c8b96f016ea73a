#pragma once
// The hashes verified for unknown users, so that "no such user" takes as long as "wrong
// password" on the same tenant. For each tenant the gateway keeps one dummy per hash
// scheme and cost its users' stored hashes were seen with: a hash of a random password
// made by the gateway with that stored hash's setting. An unknown user of a tenant is
// checked against the costliest of that tenant's dummies; before any stored hash of the
// tenant was seen, against the fallback made from `auth.dummy_hash_scheme`/`_cost`.
// A tenant's hashes never decide another tenant's timing. Bounded: a few schemes per
// tenant and `max_entries` in all; beyond that new schemes are not added.

#include <chrono>
#include <cstddef>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

namespace gateway {

/// A dummy made from a stored hash: its scheme and cost, the hash, and what one
/// verification against it cost when it was made.
struct made_dummy {
    std::string scheme;  ///< hash_scheme_and_cost of the stored hash
    std::string hash;
    std::chrono::nanoseconds cost{0};
};

/// A hash of a random password with `stored_hash`'s setting, timed; nullopt when the
/// hash is not of a supported scheme.
std::optional<made_dummy> make_dummy_like(std::string_view stored_hash);

/// The dummies per tenant and scheme; thread-safe.
class dummy_hashes {
public:
    /// `fallback` is used for tenants with no dummy yet.
    dummy_hashes(made_dummy fallback, std::size_t max_entries = 10000);

    /// Replaces the fallback (configuration reload: auth.dummy_hash_scheme or _cost).
    void set_fallback(made_dummy fallback);
    /// The hash to verify for an unknown user of `tenant`.
    std::string for_unknown_user(std::string_view tenant) const;
    /// True when the caller should make a dummy like `stored_hash` for `tenant` (then
    /// call add): its scheme is new for the tenant and there is room. Claims the slot,
    /// so concurrent logins make it once.
    bool claim(std::string_view tenant, std::string_view stored_hash);
    /// Stores a dummy made after claim().
    void add(std::string_view tenant, made_dummy dummy);
    /// Dummies kept (for tests).
    std::size_t size() const;

private:
    static constexpr std::size_t max_schemes_per_tenant = 4;

    made_dummy fallback_;
    std::size_t max_entries_;
    mutable std::mutex mutex_;
    std::size_t count_ = 0;
    /// tenant -> scheme -> dummy (an empty hash while it is being made)
    std::map<std::string, std::map<std::string, made_dummy>, std::less<>> tenants_;
};

}  // namespace gateway
