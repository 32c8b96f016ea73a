#include "tds_pool/pool_state.hpp"

#include <algorithm>
#include <stdexcept>

namespace tds_pool {

std::string_view close_reason_name(close_reason reason) noexcept {
    switch (reason) {
    case close_reason::idle_timeout: return "idle_timeout";
    case close_reason::max_lifetime: return "max_lifetime";
    case close_reason::broken: return "broken";
    case close_reason::validation_failed: return "validation_failed";
    case close_reason::draining: return "draining";
    case close_reason::reclaimed: return "reclaimed";
    case close_reason::over_cap: return "over_cap";
    case close_reason::open_failed: return "open_failed";
    case close_reason::query_timeout: return "query_timeout";
    case close_reason::request_failed: return "request_failed";
    case close_reason::open_transaction: return "open_transaction";
    case close_reason::reset_failed: return "reset_failed";
    case close_reason::session_unprovable: return "session_unprovable";
    }
    return "unknown";
}

bool is_discard_reason(close_reason reason) noexcept {
    switch (reason) {
    case close_reason::broken:
    case close_reason::validation_failed:
    case close_reason::query_timeout:
    case close_reason::request_failed:
    case close_reason::open_transaction:
    case close_reason::reset_failed:
    case close_reason::session_unprovable: return true;
    default: return false;
    }
}

std::chrono::milliseconds jittered_lifetime(std::chrono::milliseconds max_lifetime, double jitter,
                                            double draw) noexcept {
    const double cut = std::clamp(jitter, 0.0, 1.0) * std::clamp(draw, 0.0, 1.0);
    const auto shortened = std::chrono::duration<double, std::milli>(max_lifetime) * cut;
    return max_lifetime - std::chrono::duration_cast<std::chrono::milliseconds>(shortened);
}

pool_state::pool_state(pool_limits limits, std::function<pool_clock::time_point()> clock,
                       std::uint32_t seed)
    : limits_(limits), clock_(std::move(clock)), random_(seed) {}

void pool_state::change_state(slot_list::iterator it, slot_state to) {
    // splice keeps the iterator (and so the index entry) valid across lists.
    list(to).splice(list(to).end(), list(it->state), it);
    it->state = to;
}

void pool_state::close(slot_list::iterator it, close_reason reason) {
    it->reason = reason;
    change_state(it, slot_state::closed);
}

pool_state::slot_list::iterator pool_state::find(slot_id id, slot_state expected) {
    const auto entry = index_.find(id);
    if (entry == index_.end() || entry->second->state != expected) {
        throw std::logic_error("pool_state: slot not in the expected state");
    }
    return entry->second;
}

bool pool_state::expired(const slot& s, pool_clock::time_point now) const {
    // the draw is kept, not the lifetime: a reload's max_lifetime applies to every connection
    return now - s.created_at >=
           jittered_lifetime(limits_.max_lifetime, limits_.max_lifetime_jitter, s.lifetime_draw);
}

std::optional<checkout> pool_state::take_idle() {
    const auto now = clock_();
    while (!list(slot_state::idle).empty()) {
        auto it = std::prev(list(slot_state::idle).end());  // newest first: LIFO keeps hot ones warm
        if (expired(*it, now)) {
            close(it, close_reason::max_lifetime);
            continue;
        }
        const bool stale = now - it->last_used >= limits_.validate_after;
        change_state(it, slot_state::busy);
        it->last_used = now;
        return checkout{it->id, it->resource.get(), stale};
    }
    return std::nullopt;
}

std::optional<waiter_id> pool_state::add_waiter() {
    if (waiters_.size() >= limits_.max_waiters) {
        return std::nullopt;
    }
    waiters_.push_back(next_waiter_);
    return next_waiter_++;
}

bool pool_state::remove_waiter(waiter_id id) {
    const auto it = std::find(waiters_.begin(), waiters_.end(), id);
    if (it == waiters_.end()) {
        return false;
    }
    waiters_.erase(it);
    return true;
}

std::optional<waiter_id> pool_state::take_oldest_waiter() {
    if (waiters_.empty()) {
        return std::nullopt;
    }
    const waiter_id id = waiters_.front();
    waiters_.pop_front();
    return id;
}

std::vector<waiter_id> pool_state::take_waiters() {
    std::vector<waiter_id> all(waiters_.begin(), waiters_.end());
    waiters_.clear();
    return all;
}

std::optional<grant> pool_state::serve_next_waiter() {
    if (waiters_.empty()) {
        return std::nullopt;
    }
    auto lease = take_idle();
    if (!lease) {
        return std::nullopt;
    }
    const waiter_id waiter = waiters_.front();
    waiters_.pop_front();
    return grant{waiter, *lease};
}

std::size_t pool_state::wanted_opens() const {
    if (draining_) {
        return 0;
    }
    const std::size_t opening = opening_count();
    const std::size_t coming = opening + resetting_count();
    const std::size_t uncovered = waiters_.size() > coming ? waiters_.size() - coming : 0;
    const std::size_t below_min = limits_.min_size > total() ? limits_.min_size - total() : 0;
    const std::size_t room = limits_.max_size > total() ? limits_.max_size - total() : 0;
    const std::size_t open_room =
        limits_.max_opening > opening ? limits_.max_opening - opening : 0;
    return std::min({std::max(uncovered, below_min), room, open_room});
}

slot_id pool_state::begin_open() {
    const auto now = clock_();
    auto& opening = list(slot_state::opening);
    opening.push_back(slot{next_slot_, slot_state::opening, now, now, 0.0, close_reason::broken, nullptr});
    index_[next_slot_] = std::prev(opening.end());
    return next_slot_++;
}

void pool_state::open_succeeded(slot_id id, std::unique_ptr<pooled_resource> resource) {
    auto it = find(id, slot_state::opening);
    const auto now = clock_();
    it->resource = std::move(resource);
    it->created_at = now;
    it->last_used = now;
    it->lifetime_draw = std::uniform_real_distribution<double>(0.0, 1.0)(random_);
    if (draining_) {
        close(it, close_reason::draining);
        return;
    }
    if (total() > limits_.max_size) {
        close(it, close_reason::over_cap);
        return;
    }
    change_state(it, slot_state::idle);
}

void pool_state::open_failed(slot_id id) { close(find(id, slot_state::opening), close_reason::open_failed); }

void pool_state::release(slot_id id, bool broken) { back_to_idle(find(id, slot_state::busy), broken); }

void pool_state::begin_reset(slot_id id) { change_state(find(id, slot_state::busy), slot_state::resetting); }

void pool_state::finish_reset(slot_id id, std::optional<close_reason> failure) {
    auto it = find(id, slot_state::resetting);
    if (failure) {
        close(it, *failure);
    } else {
        back_to_idle(it, false);
    }
}

void pool_state::back_to_idle(slot_list::iterator it, bool broken) {
    const auto now = clock_();
    if (broken) {
        close(it, close_reason::broken);
    } else if (draining_) {
        close(it, close_reason::draining);
    } else if (expired(*it, now)) {
        close(it, close_reason::max_lifetime);
    } else if (total() > limits_.max_size) {
        close(it, close_reason::over_cap);
    } else {
        it->last_used = now;
        change_state(it, slot_state::idle);
    }
}

void pool_state::discard(slot_id id, close_reason reason) { close(find(id, slot_state::busy), reason); }

void pool_state::run_janitor() {
    const auto now = clock_();
    auto& idle = list(slot_state::idle);
    // Oldest-used first (the front), so the warm end of the LIFO list survives.
    for (auto it = idle.begin(); it != idle.end();) {
        auto current = it++;
        if (expired(*current, now)) {
            close(current, close_reason::max_lifetime);
        } else if (now - current->last_used >= limits_.idle_timeout && total() > limits_.min_size) {
            close(current, close_reason::idle_timeout);
        }
    }
}

void pool_state::shed_idle() {
    auto& idle = list(slot_state::idle);
    while (!idle.empty() && total() > limits_.min_size) {
        close(idle.begin(), close_reason::reclaimed);
    }
}

void pool_state::set_max_size(std::size_t max_size) {
    pool_limits next = limits_;
    next.max_size = max_size;
    reconfigure(next);
}

void pool_state::reconfigure(pool_limits limits) {
    limits_ = limits;
    limits_.max_size = std::max<std::size_t>(1, limits_.max_size);
    limits_.min_size = std::min(limits_.min_size, limits_.max_size);
    limits_.max_opening = std::max<std::size_t>(1, limits_.max_opening);
    auto& idle = list(slot_state::idle);
    // Oldest-used first, as the janitor does: the warm end of the LIFO list survives.
    while (!idle.empty() && total() > limits_.max_size) {
        close(idle.begin(), close_reason::over_cap);
    }
}

void pool_state::start_drain() {
    draining_ = true;
    auto& idle = list(slot_state::idle);
    while (!idle.empty()) {
        close(idle.begin(), close_reason::draining);
    }
}

std::vector<closed_slot> pool_state::take_closed() {
    std::vector<closed_slot> out;
    auto& closed = list(slot_state::closed);
    for (auto& s : closed) {
        index_.erase(s.id);
        out.push_back(closed_slot{s.id, s.reason, std::move(s.resource)});
    }
    closed.clear();
    return out;
}

}  // namespace tds_pool
