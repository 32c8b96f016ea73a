#include "gateway/proxy/upstream_pool.hpp"

#include <algorithm>
#include <iterator>

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include <boost/asio/execution/context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/query.hpp>

#include "gateway/telemetry/log.hpp"
#include "tds_pool/executor_check.hpp"

namespace gateway {

namespace {

/// True when a parked connection is still usable: no EOF, no error, no stray bytes.
bool still_open(int fd) noexcept {
    char probe = 0;
    const auto n = ::recv(fd, &probe, 1, MSG_PEEK | MSG_DONTWAIT);
    return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

/// The protocol of a connected native socket.
asio::ip::tcp protocol_of(int fd) noexcept {
    sockaddr_storage address{};
    socklen_t length = sizeof(address);
    if (::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0 &&
        address.ss_family == AF_INET6) {
        return asio::ip::tcp::v6();
    }
    return asio::ip::tcp::v4();
}

/// Wakes a waiting request on its own loop: a timer is not safe to touch from another
/// thread. A waiter that gave up meanwhile is gone, and nothing happens.
void wake(std::shared_ptr<slot_waiter> waiter) {
    if (!waiter) return;
    const auto executor = waiter->timer.get_executor();
    asio::post(executor, [weak = std::weak_ptr<slot_waiter>(waiter)] {
        if (auto alive = weak.lock()) alive->timer.cancel();
    });
}

}  // namespace

upstream_pool::upstream_pool(conf::upstream_config config, std::function<clock::time_point()> now)
    : config_(std::move(config)), now_(std::move(now)) {
    for (const auto& url : config_.servers) {
        auto address = conf::parse_upstream_url(url);
        if (!address) throw std::invalid_argument("bad upstream server URL " + url);
        addresses_.push_back(std::move(*address));
    }
    servers_.resize(addresses_.size());
}

upstream_pool::~upstream_pool() = default;

bool upstream_pool::usable(const server_state& server, clock::time_point now) const {
    if (server.up) return true;
    // Without active checks, a server marked down gets a trial request now and then.
    return !config_.health_check && now >= server.retry_at;
}

std::optional<std::size_t> upstream_pool::pick(const std::vector<bool>& tried) {
    const auto now = now_();
    std::lock_guard lock(mutex_);
    const std::size_t n = servers_.size();
    std::optional<std::size_t> best;
    for (std::size_t step = 0; step < n; ++step) {
        const std::size_t i = (next_ + step) % n;
        if ((i < tried.size() && tried[i]) || !usable(servers_[i], now)) continue;
        if (config_.balance == conf::balance_policy::round_robin) {
            best = i;
            break;
        }
        if (!best || servers_[i].in_flight < servers_[*best].in_flight) best = i;
    }
    if (!best) return std::nullopt;
    next_ = (*best + 1) % n;
    auto& chosen = servers_[*best];
    if (!chosen.up) chosen.retry_at = now + config_.passive_retry;  // one trial at a time
    ++chosen.in_flight;
    return best;
}

void upstream_pool::done(std::size_t index) {
    std::lock_guard lock(mutex_);
    auto& server = servers_.at(index);
    if (server.in_flight > 0) --server.in_flight;
}

std::optional<upstream_pool::parked_connection> upstream_pool::pop_idle(
    std::size_t index, const asio::execution_context* loop) {
    std::lock_guard lock(mutex_);
    auto& idle = servers_.at(index).idle;
    if (idle.empty()) return std::nullopt;
    // The most recent of this loop's own, else the most recent of any loop.
    auto chosen = std::prev(idle.end());
    for (auto it = idle.rbegin(); it != idle.rend(); ++it) {
        if (it->loop == loop) {
            chosen = std::prev(it.base());
            break;
        }
    }
    parked_connection out = std::move(*chosen);
    idle.erase(chosen);
    return out;
}

std::optional<asio::ip::tcp::socket> upstream_pool::take_idle(
    std::size_t index, const asio::any_io_executor& executor) {
    // The socket handed out is registered with, and used on, the calling loop.
    TG_ASSERT_ON(executor);
    const auto* loop = &asio::query(executor, asio::execution::context);
    while (auto parked = pop_idle(index, loop)) {
        if (!still_open(parked->socket.native_handle())) {
            beast::error_code ignored;
            parked->socket.close(ignored);
            release(index);
            continue;
        }
        if (parked->loop == loop) return std::move(parked->socket);
        // Registered with another loop's reactor: move the descriptor over to this one.
        beast::error_code ec;
        const int fd = parked->socket.release(ec);
        if (ec) {
            release(index);
            continue;
        }
        asio::ip::tcp::socket socket(executor);
        socket.assign(protocol_of(fd), fd, ec);
        if (!ec) return socket;
        ::close(fd);
        release(index);
    }
    return std::nullopt;
}

bool upstream_pool::reserve(std::size_t index) {
    std::lock_guard lock(mutex_);
    auto& server = servers_.at(index);
    if (server.connections >= config_.max_connections_per_server) return false;
    ++server.connections;
    return true;
}

bool upstream_pool::reserve_or_wait(std::size_t index, const std::shared_ptr<slot_waiter>& waiter) {
    // One lock for the check and the registration: a release in between cannot be missed.
    std::lock_guard lock(mutex_);
    auto& server = servers_.at(index);
    if (server.connections < config_.max_connections_per_server) {
        ++server.connections;
        return true;
    }
    // Listed still when its deadline passed: once is enough.
    const auto listed = std::any_of(server.waiters.begin(), server.waiters.end(),
                                    [&](const auto& weak) { return weak.lock() == waiter; });
    if (!listed) {
        waiter->woken = false;
        server.waiters.push_back(waiter);
    }
    return false;
}

void upstream_pool::stop_waiting(std::size_t index, const std::shared_ptr<slot_waiter>& waiter) {
    std::shared_ptr<slot_waiter> next;
    {
        std::lock_guard lock(mutex_);
        auto& waiters = servers_.at(index).waiters;
        const auto found = std::find_if(waiters.begin(), waiters.end(),
                                        [&](const auto& weak) { return weak.lock() == waiter; });
        if (found != waiters.end()) {
            waiters.erase(found);
        } else if (waiter->woken) {
            next = next_waiter(index);
        }
    }
    wake(std::move(next));
}

std::shared_ptr<slot_waiter> upstream_pool::next_waiter(std::size_t index) {
    auto& waiters = servers_[index].waiters;
    while (!waiters.empty()) {
        auto next = waiters.front().lock();
        waiters.pop_front();
        if (!next) continue;
        next->woken = true;
        return next;
    }
    return nullptr;
}

void upstream_pool::park(std::size_t index, asio::ip::tcp::socket socket) {
    // Parked as the calling loop's own: only that loop may take it back without a move.
    TG_ASSERT_ON(socket.get_executor());
    const auto* loop = &asio::query(socket.get_executor(), asio::execution::context);
    std::shared_ptr<slot_waiter> waiter;
    bool parked = false;
    {
        std::lock_guard lock(mutex_);
        auto& server = servers_.at(index);
        waiter = next_waiter(index);  // parked or closed, the connection is free for it
        if (!stopped_ && server.idle.size() < config_.max_idle_per_server) {
            server.idle.push_back({std::move(socket), loop});
            parked = true;
        } else if (server.connections > 0) {
            --server.connections;
        }
    }
    wake(std::move(waiter));
    if (parked) return;
    beast::error_code ignored;
    socket.close(ignored);
}

void upstream_pool::stop() {
    stopped_ = true;
    close_idle();
}

void upstream_pool::close_idle() {
    std::vector<parked_connection> closing;
    std::vector<std::shared_ptr<slot_waiter>> waking;
    {
        std::lock_guard lock(mutex_);
        for (std::size_t i = 0; i < servers_.size(); ++i) {
            auto& server = servers_[i];
            server.connections -= std::min(server.connections, server.idle.size());
            for (std::size_t n = 0; n < server.idle.size(); ++n) waking.push_back(next_waiter(i));
            std::move(server.idle.begin(), server.idle.end(), std::back_inserter(closing));
            server.idle.clear();
        }
    }
    for (auto& parked : closing) {
        beast::error_code ignored;
        parked.socket.close(ignored);
    }
    for (auto& waiter : waking) wake(std::move(waiter));
}

void upstream_pool::release(std::size_t index) {
    std::shared_ptr<slot_waiter> waiter;
    {
        std::lock_guard lock(mutex_);
        auto& server = servers_.at(index);
        if (server.connections > 0) --server.connections;
        waiter = next_waiter(index);
    }
    wake(std::move(waiter));
}

void upstream_pool::mark(std::size_t index, bool up, std::string_view why) {
    auto& server = servers_[index];
    if (server.up == up) return;
    server.up = up;
    server.failures = 0;
    server.checks_ok = 0;
    server.checks_failed = 0;
    server.retry_at = now_() + config_.passive_retry;
    const boost::json::object fields{{"upstream", config_.name},
                                     {"server", addresses_[index].url},
                                     {"reason", why}};
    if (up) {
        log_info("upstream server up", fields);
    } else {
        log_warn("upstream server down", fields);
    }
}

void upstream_pool::record_success(std::size_t index) {
    std::lock_guard lock(mutex_);
    auto& server = servers_.at(index);
    ++server.answered;
    server.failures = 0;
    if (!server.up && !config_.health_check) mark(index, true, "answered a request");
}

void upstream_pool::record_failure(std::size_t index, std::string_view why) {
    std::lock_guard lock(mutex_);
    auto& server = servers_.at(index);
    ++server.failed;
    ++server.failures;
    if (server.up && server.failures >= config_.passive_failures) mark(index, false, why);
}

std::vector<upstream_server_stats> upstream_pool::stats() const {
    std::lock_guard lock(mutex_);
    std::vector<upstream_server_stats> out;
    out.reserve(servers_.size());
    for (std::size_t i = 0; i < servers_.size(); ++i) {
        const auto& server = servers_[i];
        out.push_back({addresses_[i].url, server.up, server.in_flight, server.connections,
                       server.idle.size(), server.answered, server.failed});
    }
    return out;
}

void upstream_pool::record_check(std::size_t index, bool healthy) {
    if (!config_.health_check) return;
    const auto& check = *config_.health_check;
    std::lock_guard lock(mutex_);
    auto& server = servers_.at(index);
    if (healthy) {
        server.checks_failed = 0;
        ++server.checks_ok;
        if (!server.up && server.checks_ok >= check.healthy_threshold) {
            mark(index, true, "passed health checks");
        }
    } else {
        server.checks_ok = 0;
        ++server.checks_failed;
        if (server.up && server.checks_failed >= check.unhealthy_threshold) {
            mark(index, false, "failed health checks");
        }
    }
}

bool upstream_pool::is_up(std::size_t index) const {
    std::lock_guard lock(mutex_);
    return servers_.at(index).up;
}

}  // namespace gateway
