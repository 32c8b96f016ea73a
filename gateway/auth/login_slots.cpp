#include "gateway/auth/login_slots.hpp"

#include <utility>

namespace gateway {

login_slots::login_slots(login_limiter& limiter, std::vector<login_key> keys,
                         std::shared_ptr<shared_login_store> shared)
    : limiter_(&limiter), shared_(std::move(shared)), refusal_(limiter.reserve(keys)) {
    if (!refusal_) keys_ = std::move(keys);
}

login_slots::login_slots(login_slots&& other) noexcept
    : limiter_(other.limiter_),
      shared_(std::move(other.shared_)),
      keys_(std::move(other.keys_)),
      shared_keys_(std::move(other.shared_keys_)),
      refusal_(other.refusal_),
      settled_(other.settled_) {
    other.keys_.clear();
    other.shared_keys_.clear();
    other.settled_ = true;
}

login_slots::~login_slots() {
    if (settled_) return;
    if (!keys_.empty()) limiter_->release(keys_);
    if (!shared_keys_.empty()) shared_->release(std::move(shared_keys_));
}

login_refusal login_slots::refused_by_shared(const shared_reservation& shared, std::vector<login_key> keys) {
    limiter_->release(keys);
    // remembered here, so the lockout outlasts a Redis outage that starts now
    if (shared.locked) limiter_->lock_out(shared.refused_key, shared.refusal.retry_after);
    return shared.refusal;
}

// One co_return per coroutine: g++ 12 misreports the frame's delete with early returns.
asio::awaitable<void> login_slots::share() {
    if (shared_ && !refusal_ && !keys_.empty()) {
        const shared_reservation shared = co_await shared_->reserve(keys_);
        if (shared.answer == shared_answer::granted) {
            shared_keys_ = keys_;
        } else if (shared.answer == shared_answer::refused) {
            refusal_ = refused_by_shared(shared, std::move(keys_));
            keys_.clear();
        }
        // unavailable: the local slots decide alone
    }
    co_return;
}

asio::awaitable<std::optional<login_refusal>> login_slots::add(login_key key) {
    std::vector<login_key> one(1, key);
    std::optional<login_refusal> refusal = limiter_->reserve(one);
    if (!refusal && shared_) {
        const shared_reservation shared = co_await shared_->reserve(one);
        if (shared.answer == shared_answer::granted) shared_keys_.push_back(key);
        if (shared.answer == shared_answer::refused) refusal = refused_by_shared(shared, std::move(one));
    }
    if (!refusal) keys_.push_back(std::move(key));
    co_return refusal;
}

void login_slots::failed() {
    if (settled_) return;
    settled_ = true;
    limiter_->fail(keys_);
    if (!shared_keys_.empty()) shared_->fail(std::move(shared_keys_));
}

void login_slots::succeeded() {
    if (settled_) return;
    settled_ = true;
    limiter_->succeed(keys_);
    if (!shared_keys_.empty()) shared_->succeed(std::move(shared_keys_));
}

}  // namespace gateway
