#include "gateway/http/deadline_watch.hpp"

namespace gateway {

struct deadline_watch::state {
    explicit state(const asio::any_io_executor& executor) : timer(executor) {}
    asio::steady_timer timer;
    clock::time_point deadline = clock::time_point::max();
    clock::time_point armed = clock::time_point::max();  ///< the pending wait's expiry; max: none
    asio::ip::tcp::socket* socket = nullptr;
    bool timed_out = false;
};

deadline_watch::deadline_watch(const asio::any_io_executor& executor)
    : state_(std::make_shared<state>(executor)) {}

deadline_watch::~deadline_watch() {
    state_->socket = nullptr;
    state_->deadline = clock::time_point::max();
    state_->timer.cancel();
}

void deadline_watch::watch(asio::ip::tcp::socket* socket) noexcept {
    state_->socket = socket;
    state_->timed_out = false;
}

void deadline_watch::expires_at(clock::time_point when) {
    state_->deadline = when;
    // A later deadline waits for the pending wait to fire and re-arm; only an earlier
    // one touches the timer queue.
    if (when < state_->armed) arm(state_, when);
}

void deadline_watch::expires_never() noexcept { state_->deadline = clock::time_point::max(); }

bool deadline_watch::timed_out() const noexcept { return state_->timed_out; }

void deadline_watch::arm(const std::shared_ptr<state>& watch, clock::time_point when) {
    watch->armed = when;
    watch->timer.expires_at(when);  // a pending wait ends as cancelled and does nothing
    watch->timer.async_wait([watch](const beast::error_code& ec) { on_timer(watch, ec); });
}

void deadline_watch::on_timer(const std::shared_ptr<state>& watch, const beast::error_code& ec) {
    if (ec) return;  // re-armed or destroyed: the newer wait or nobody takes over
    watch->armed = clock::time_point::max();
    if (watch->deadline == clock::time_point::max()) return;
    if (clock::now() < watch->deadline) {
        arm(watch, watch->deadline);
        return;
    }
    watch->deadline = clock::time_point::max();
    if (watch->socket == nullptr) return;
    watch->timed_out = true;
    beast::error_code ignored;
    watch->socket->close(ignored);
}

}  // namespace gateway
