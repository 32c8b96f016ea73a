#include "gateway/http/connection_tracker.hpp"

#include <vector>

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

std::uint64_t connection_tracker::add(const std::shared_ptr<session>& s) {
    std::lock_guard lock(mutex_);
    const std::uint64_t id = next_id_++;
    sessions_.emplace(id, s);
    return id;
}

void connection_tracker::remove(std::uint64_t id) noexcept {
    std::lock_guard lock(mutex_);
    sessions_.erase(id);
}

std::size_t connection_tracker::size() const {
    std::lock_guard lock(mutex_);
    return sessions_.size();
}

bool connection_tracker::draining() const {
    std::lock_guard lock(mutex_);
    return draining_;
}

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
