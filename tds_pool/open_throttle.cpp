#include "tds_pool/open_throttle.hpp"

namespace tds_pool {

open_throttle::open_throttle(std::size_t max_opening) : max_opening_(max_opening) {}

bool open_throttle::try_begin() {
    std::lock_guard lock(mutex_);
    if (max_opening_ != 0 && running_ >= max_opening_) return false;
    ++running_;
    return true;
}

void open_throttle::end() {
    std::vector<std::function<void()>> wake;
    {
        std::lock_guard lock(mutex_);
        if (running_ > 0) --running_;
        wake.swap(waiting_);
    }
    // Every waiting pool tries again; those that lose the race ask to wait once more.
    for (auto& w : wake) w();
}

void open_throttle::wait_for_turn(std::function<void()> wake) {
    {
        std::lock_guard lock(mutex_);
        if (max_opening_ != 0 && running_ >= max_opening_) {
            waiting_.push_back(std::move(wake));
            return;
        }
    }
    // a turn came back between try_begin and now: try again at once
    wake();
}

void open_throttle::set_cap(std::size_t max_opening) {
    std::vector<std::function<void()>> wake;
    {
        std::lock_guard lock(mutex_);
        max_opening_ = max_opening;
        wake.swap(waiting_);
    }
    for (auto& w : wake) w();
}

std::size_t open_throttle::running() const {
    std::lock_guard lock(mutex_);
    return running_;
}

std::size_t open_throttle::cap() const {
    std::lock_guard lock(mutex_);
    return max_opening_;
}

}  // namespace tds_pool
