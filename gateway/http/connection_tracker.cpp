#include "gateway/http/connection_tracker.hpp"

#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "gateway/http/session.hpp"

namespace gateway {

namespace {

/// Tells each live session something on its own event loop (never from this thread).
template <typename Member>
void post_to_all(std::vector<std::weak_ptr<session>> targets, Member member) {
    for (auto& weak : targets) {
        if (auto s = weak.lock()) {
            auto executor = s->executor();
            asio::post(executor, [weak = std::move(weak), member] {
                if (auto alive = weak.lock()) ((*alive).*member)();
            });
        }
    }
}

}  // namespace

connection_tracker::admission connection_tracker::admit(std::size_t cap) {
    std::lock_guard lock(mutex_);
    if (draining_.load(std::memory_order_relaxed)) return admission::draining;
    if (sessions_.size() + admitted_ >= cap) return admission::full;
    ++admitted_;
    return admission::admitted;
}

std::uint64_t connection_tracker::add(const std::shared_ptr<session>& s) {
    std::lock_guard lock(mutex_);
    if (admitted_ > 0) --admitted_;
    const std::uint64_t id = next_id_++;
    sessions_.emplace(id, s);
    return id;
}

void connection_tracker::remove(std::uint64_t id) noexcept {
    std::shared_ptr<asio::steady_timer> waiter;
    {
        std::lock_guard lock(mutex_);
        sessions_.erase(id);
        if (sessions_.empty()) waiter = empty_waiter_.lock();
    }
    if (!waiter) return;
    try {
        // A timer is touched only on its own executor; this is a session's loop.
        asio::post(waiter->get_executor(), [weak = std::weak_ptr<asio::steady_timer>(waiter)] {
            if (auto alive = weak.lock()) alive->cancel();
        });
    } catch (...) {
        // Out of memory: the drain then ends at its deadline instead.
    }
}

asio::awaitable<bool> connection_tracker::wait_until_empty(
    std::chrono::steady_clock::time_point deadline) {
    auto timer = std::make_shared<asio::steady_timer>(co_await asio::this_coro::executor);
    for (;;) {
        {
            // Checked and registered under one lock: the last remove() cannot slip between.
            std::lock_guard lock(mutex_);
            if (sessions_.empty()) co_return true;
            if (std::chrono::steady_clock::now() >= deadline) co_return false;
            empty_waiter_ = timer;
        }
        timer->expires_at(deadline);
        co_await timer->async_wait(asio::as_tuple(asio::use_awaitable));
    }
}

std::size_t connection_tracker::size() const {
    std::lock_guard lock(mutex_);
    return sessions_.size() + admitted_;
}

bool connection_tracker::draining() const { return draining_.load(std::memory_order_acquire); }

void connection_tracker::begin_drain() {
    std::vector<std::weak_ptr<session>> targets;
    {
        std::lock_guard lock(mutex_);
        // Set before collecting: a session added later sees the flag when it goes idle.
        draining_ = true;
        for (const auto& [id, weak] : sessions_) targets.push_back(weak);
    }
    post_to_all(std::move(targets), &session::on_drain);
}

void connection_tracker::close_all() {
    std::vector<std::weak_ptr<session>> targets;
    {
        std::lock_guard lock(mutex_);
        for (const auto& [id, weak] : sessions_) targets.push_back(weak);
    }
    post_to_all(std::move(targets), &session::force_close);
}

}  // namespace gateway
