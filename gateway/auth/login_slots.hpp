#pragma once
// The budget slots one login attempt holds (gateway/auth/login_limiter.hpp for what a slot
// is). Every attempt takes its slots in this instance's limiter first, always, so a Redis
// outage in the middle of an attack still finds local counts. With a shared store
// (gateway/auth/shared_login_store.hpp) it then takes the same slots there: a refusal
// there refuses the attempt (and its lockout is remembered locally); a store that cannot
// answer leaves the local decision standing. Never open: without an answer from Redis,
// the local budgets still apply.

#include <memory>
#include <optional>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "gateway/auth/login_limiter.hpp"
#include "gateway/auth/shared_login_store.hpp"

namespace gateway {

/// The slots one login attempt holds; released at destruction unless settled.
class login_slots {
public:
    /// Reserves `keys` in `limiter`; check refusal() before going on. With `shared`, call
    /// share() next.
    login_slots(login_limiter& limiter, std::vector<login_key> keys,
                std::shared_ptr<shared_login_store> shared = nullptr);
    ~login_slots();
    login_slots(login_slots&& other) noexcept;
    login_slots& operator=(login_slots&&) = delete;
    login_slots(const login_slots&) = delete;
    login_slots& operator=(const login_slots&) = delete;

    /// Why the slots could not be taken; nullopt when they are held.
    const std::optional<login_refusal>& refusal() const noexcept { return refusal_; }
    /// Takes the held slots in the shared store too (nothing without one). On its refusal
    /// the local slots are released and refusal() says why.
    asio::awaitable<void> share();
    /// Reserves one more key (the user id once known), locally then in the shared store;
    /// on refusal the held slots stay held until this object settles or dies.
    asio::awaitable<std::optional<login_refusal>> add(login_key key);
    /// The attempt failed: the slots become failures.
    void failed();
    /// The attempt succeeded: slots released, account failures cleared.
    void succeeded();

private:
    /// Applies the shared store's refusal of `keys`, held locally: released here, and a
    /// lockout kept here too.
    login_refusal refused_by_shared(const shared_reservation& shared, std::vector<login_key> keys);

    login_limiter* limiter_;
    std::shared_ptr<shared_login_store> shared_;
    std::vector<login_key> keys_;         ///< the keys whose local slots are held
    std::vector<login_key> shared_keys_;  ///< the keys whose shared slots are held
    std::optional<login_refusal> refusal_;
    bool settled_ = false;
};

}  // namespace gateway
