#include "tds_pool/connection_budget.hpp"

namespace tds_pool {

connection_budget::connection_budget(std::size_t max_total, std::size_t max_per_host)
    : max_total_(max_total), max_per_host_(max_per_host) {}

bool connection_budget::try_reserve(const std::string& host) {
    std::lock_guard lock(mutex_);
    auto& on_host = per_host_[host];
    if ((max_total_ != 0 && total_ >= max_total_) || (max_per_host_ != 0 && on_host >= max_per_host_)) {
        last_refusal_ns_.store(std::chrono::steady_clock::now().time_since_epoch().count());
        return false;
    }
    ++on_host;
    ++total_;
    return true;
}

void connection_budget::set_caps(std::size_t max_total, std::size_t max_per_host) {
    std::lock_guard lock(mutex_);
    max_total_ = max_total;
    max_per_host_ = max_per_host;
}

void connection_budget::release(const std::string& host) {
    std::lock_guard lock(mutex_);
    const auto it = per_host_.find(host);
    if (it == per_host_.end() || it->second == 0) {
        return;
    }
    if (--it->second == 0) {
        per_host_.erase(it);
    }
    --total_;
}

bool connection_budget::under_pressure(std::chrono::milliseconds window) const {
    const auto last = last_refusal_ns_.load();
    if (last == 0) {
        return false;
    }
    const auto since = std::chrono::steady_clock::now().time_since_epoch() -
                       std::chrono::steady_clock::duration(last);
    return since < window;
}

std::size_t connection_budget::total() const {
    std::lock_guard lock(mutex_);
    return total_;
}

}  // namespace tds_pool
