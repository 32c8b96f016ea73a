#include "gateway/auth/shared_login_store.hpp"

#include <algorithm>

#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "gateway/telemetry/log.hpp"
#include "gateway/telemetry/metrics_text.hpp"

namespace gateway {

namespace {

// KEYS: an attempt's keys. ARGV[1]: the window in ms; ARGV[1 + i]: key i's budget.
// Answers {0, 0, 0} when every key took a slot, else {i, key i's PTTL, its failures}.
constexpr const char* reserve_script = R"lua(
for i, key in ipairs(KEYS) do
  local counts = redis.call('HMGET', key, 'f', 'p')
  local failures = tonumber(counts[1]) or 0
  if failures + (tonumber(counts[2]) or 0) >= tonumber(ARGV[i + 1]) then
    return {i, redis.call('PTTL', key), failures}
  end
end
for _, key in ipairs(KEYS) do
  redis.call('HINCRBY', key, 'p', 1)
  if redis.call('PTTL', key) < 0 then redis.call('PEXPIRE', key, ARGV[1]) end
end
return {0, 0, 0}
)lua";

// KEYS: the keys of a failed attempt. ARGV[1]: the window in ms (for a key whose window
// ended while the attempt ran).
constexpr const char* fail_script = R"lua(
for _, key in ipairs(KEYS) do
  if (tonumber(redis.call('HGET', key, 'p')) or 0) > 0 then redis.call('HINCRBY', key, 'p', -1) end
  redis.call('HINCRBY', key, 'f', 1)
  if redis.call('PTTL', key) < 0 then redis.call('PEXPIRE', key, ARGV[1]) end
end
return 0
)lua";

// KEYS: the keys of an attempt that ended without a failure. ARGV[i] == '1': key i's
// failures are cleared (an account that proved its password).
constexpr const char* settle_script = R"lua(
for i, key in ipairs(KEYS) do
  if (tonumber(redis.call('HGET', key, 'p')) or 0) > 0 then redis.call('HINCRBY', key, 'p', -1) end
  if ARGV[i] == '1' then redis.call('HDEL', key, 'f') end
  local counts = redis.call('HMGET', key, 'f', 'p')
  if (tonumber(counts[1]) or 0) <= 0 and (tonumber(counts[2]) or 0) <= 0 then redis.call('DEL', key) end
end
return 0
)lua";

}  // namespace

/// A reservation's reply, shared by the login waiting for it and the Redis thread. The
/// login's timer (in its coroutine frame) is its condition variable: the Redis thread has
/// the login's executor cancel it. The Redis thread never touches the timer itself and
/// never holds the last reference to it, and it posts to the login's executor only while
/// the login still waits, under the lock the login takes before it ends: a login that
/// gave up (its io_context may be gone soon after) is never reached again.
struct shared_login_store::pending_reply : std::enable_shared_from_this<pending_reply> {
    explicit pending_reply(asio::any_io_executor ex) : executor(std::move(ex)) {}

    /// The timer the login waits on, before the job is posted.
    void attach(asio::steady_timer* waiting) {
        std::lock_guard lock(mutex);
        timer = waiting;
    }

    /// Hands the result over; false when the login stopped waiting.
    bool deliver(shared_reservation result) {
        std::lock_guard lock(mutex);
        if (done) return false;
        reply = std::move(result);
        asio::post(executor, [self = shared_from_this()] { self->wake(); });
        return true;
    }

    /// The reply, or `unavailable` (timeout) after which a late reply is refused.
    shared_reservation take() {
        std::lock_guard lock(mutex);
        done = true;
        timer = nullptr;
        if (reply) return std::move(*reply);
        return {shared_answer::unavailable, shared_failure::timeout, {}, false, {}};
    }

    bool is_abandoned() {
        std::lock_guard lock(mutex);
        return done;
    }

    asio::any_io_executor executor;
    std::mutex mutex;
    std::optional<shared_reservation> reply;
    asio::steady_timer* timer = nullptr;  ///< the login's, while it waits
    bool done = false;                    ///< the login took its answer (or gave up)

private:
    /// On the login's executor: ends its wait, unless it has already ended.
    void wake() {
        std::lock_guard lock(mutex);
        if (!done && timer != nullptr) timer->cancel();
    }
};

/// One reservation, run on the Redis thread.
struct shared_login_store::reserve_job {
    shared_login_store* store;
    std::shared_ptr<pending_reply> pending;
    std::vector<login_key> keys;
    budgets limits;

    void operator()() const {
        if (pending->is_abandoned()) return;  // the login went on without waiting
        shared_reservation result = store->run_reserve(keys, limits);
        const bool granted = result.answer == shared_answer::granted;
        // slots taken for a login that stopped waiting would count against it for good
        if (!pending->deliver(std::move(result)) && granted) store->run_settle(keys, false);
    }
};

shared_login_store::shared_login_store(const conf::login_limit_config& limits,
                                       std::shared_ptr<shared_login_stats> stats)
    : settings_(limits.shared.value_or(conf::login_limit_shared_config{})),
      stats_(std::move(stats)),
      link_(settings_.redis, settings_.timeout,
            {"shared login limits connected",
             "shared login limits unavailable: each instance counts failed logins alone "
             "until Redis answers again"},
            thread_.get_executor()) {
    set_limits(limits);
    asio::post(thread_, [this] { link_.connect(); });
}

shared_login_store::~shared_login_store() {
    asio::post(thread_, [this] { link_.stop(); });
    thread_.join();
}

void shared_login_store::set_limits(const conf::login_limit_config& limits) {
    std::lock_guard lock(budgets_mutex_);
    budgets_.account = std::max<std::size_t>(limits.max_failures, 1);
    budgets_.address = std::max<std::size_t>(limits.per_address_max_failures, 1);
    budgets_.window = std::max(limits.window, conf::duration{1000});
}

shared_login_store::budgets shared_login_store::current_budgets() const {
    std::lock_guard lock(budgets_mutex_);
    return budgets_;
}

asio::awaitable<shared_reservation> shared_login_store::reserve(std::vector<login_key> keys) {
    auto pending = std::make_shared<pending_reply>(co_await asio::this_coro::executor);
    asio::steady_timer timer(pending->executor, settings_.timeout);
    pending->attach(&timer);
    // A frame destroyed while it waits (its io_context torn down) lets go of the timer too.
    struct let_go {
        pending_reply& reply;
        ~let_go() { reply.take(); }
    } on_exit{*pending};
    asio::post(thread_, reserve_job{this, pending, std::move(keys), current_budgets()});
    boost::system::error_code ec;  // cancelled: the reply is in
    co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    shared_reservation out = pending->take();
    count(out.failure);
    co_return out;
}

void shared_login_store::fail(std::vector<login_key> keys) {
    asio::post(thread_, [this, keys = std::move(keys), b = current_budgets()] { run_fail(keys, b); });
}

void shared_login_store::succeed(std::vector<login_key> keys) {
    asio::post(thread_, [this, keys = std::move(keys)] { run_settle(keys, true); });
}

void shared_login_store::release(std::vector<login_key> keys) {
    asio::post(thread_, [this, keys = std::move(keys)] { run_settle(keys, false); });
}

void shared_login_store::count(shared_failure failure) const noexcept {
    switch (failure) {
        case shared_failure::none: return;
        case shared_failure::down: stats_->down.fetch_add(1, std::memory_order_relaxed); return;
        case shared_failure::timeout: stats_->timeout.fetch_add(1, std::memory_order_relaxed); return;
        case shared_failure::error: stats_->error.fetch_add(1, std::memory_order_relaxed); return;
    }
}

shared_reservation shared_login_store::run_reserve(const std::vector<login_key>& keys, const budgets& b) {
    shared_reservation out;
    if (!link_.connected()) {
        out.failure = shared_failure::down;
        return out;
    }
    std::vector<std::string> args{std::to_string(b.window.count())};
    for (const auto& key : keys) {
        args.push_back(std::to_string(key.budget == login_budget::address ? b.address : b.account));
    }
    const auto reply = eval(reserve_script, keys, args);
    if (!reply || reply->size() != 3 || (*reply)[0] < 0 ||
        static_cast<std::size_t>((*reply)[0]) > keys.size()) {
        out.failure = shared_failure::error;
        return out;
    }
    const auto index = static_cast<std::size_t>((*reply)[0]);
    if (index == 0) {
        out.answer = shared_answer::granted;
        return out;
    }
    const login_key& key = keys[index - 1];
    const auto budget = key.budget == login_budget::address ? b.address : b.account;
    const auto failures = static_cast<std::size_t>(std::max(0LL, (*reply)[2]));
    out.answer = shared_answer::refused;
    out.refused_key = key;
    out.locked = failures >= budget;
    out.refusal.budget = key.budget;
    // spent by attempts in flight only: they end within moments (as the local limiter says)
    const std::chrono::milliseconds left{std::max(0LL, (*reply)[1])};
    out.refusal.retry_after = out.locked ? std::max(std::chrono::ceil<std::chrono::seconds>(left),
                                                    std::chrono::seconds(1))
                                         : std::chrono::seconds(1);
    return out;
}

void shared_login_store::run_fail(const std::vector<login_key>& keys, const budgets& b) {
    if (link_.connected() && !keys.empty()) (void)eval(fail_script, keys, {std::to_string(b.window.count())});
}

void shared_login_store::run_settle(const std::vector<login_key>& keys, bool clear_account_failures) {
    if (!link_.connected() || keys.empty()) return;
    std::vector<std::string> args;
    for (const auto& key : keys) {
        args.emplace_back(clear_account_failures && key.budget == login_budget::account ? "1" : "0");
    }
    (void)eval(settle_script, keys, args);
}

std::optional<std::vector<long long>> shared_login_store::eval(const char* script,
                                                              const std::vector<login_key>& keys,
                                                              const std::vector<std::string>& args) {
    std::vector<std::string> argv{"EVAL", script, std::to_string(keys.size())};
    for (const auto& key : keys) argv.push_back(settings_.key_prefix + key.text);
    argv.insert(argv.end(), args.begin(), args.end());
    std::vector<long long> integers;
    if (!link_.command(argv, &integers)) return std::nullopt;
    return integers;
}

void write_shared_login_metrics(metrics_writer& writer, const shared_login_store* store,
                                const shared_login_stats& stats) {
    if (store == nullptr) return;
    writer.family("tenant_gateway_login_limiter_shared_up",
                  "1 while failed logins are counted in Redis for every instance; 0 while this "
                  "instance counts alone (Redis down, slow or erroring).",
                  "gauge");
    writer.sample("tenant_gateway_login_limiter_shared_up", {}, store->connected() ? 1.0 : 0.0);
    writer.family("tenant_gateway_login_limiter_shared_errors_total",
                  "Login attempts decided by this instance's limiter alone because Redis could "
                  "not answer, by reason (down, timeout, error).",
                  "counter");
    writer.sample("tenant_gateway_login_limiter_shared_errors_total", {{"reason", "down"}},
                  static_cast<double>(stats.down.load(std::memory_order_relaxed)));
    writer.sample("tenant_gateway_login_limiter_shared_errors_total", {{"reason", "timeout"}},
                  static_cast<double>(stats.timeout.load(std::memory_order_relaxed)));
    writer.sample("tenant_gateway_login_limiter_shared_errors_total", {{"reason", "error"}},
                  static_cast<double>(stats.error.load(std::memory_order_relaxed)));
}

}  // namespace gateway
