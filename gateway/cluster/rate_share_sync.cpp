#include "gateway/cluster/rate_share_sync.hpp"

#include <unistd.h>

#include <algorithm>
#include <array>

#include <boost/asio/post.hpp>
#include <fmt/format.h>

#include "gateway/telemetry/log.hpp"
#include "gateway/telemetry/metrics_text.hpp"

namespace gateway {

namespace {

// KEYS: bucket hashes. ARGV[1]: this instance's field; ARGV[2]: how long a demand counts
// (ms); ARGV[2 + i]: this instance's demand for key i (takes per second). Stores
// "demand:time" under the field, drops other instances' stale fields, keeps the hash
// as long as a demand counts, and answers every key's total recent demand. Redis's own
// clock stamps the fields, so the instances' clocks never need to agree.
constexpr const char* exchange_script = R"lua(
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local fresh = tonumber(ARGV[2])
local out = {}
for i, key in ipairs(KEYS) do
  redis.call('HSET', key, ARGV[1], ARGV[2 + i] .. ':' .. now)
  local total = 0
  local fields = redis.call('HGETALL', key)
  for j = 1, #fields, 2 do
    local d, at = string.match(fields[j + 1], '^(%d+):(%d+)$')
    if d and now - tonumber(at) <= fresh then
      total = total + tonumber(d)
    else
      redis.call('HDEL', key, fields[j])
    end
  end
  redis.call('PEXPIRE', key, fresh)
  out[i] = total
end
return out
)lua";

/// Buckets exchanged per interval at most (the busiest first), and per script call.
constexpr std::size_t max_keys_per_exchange = 2000;
constexpr std::size_t keys_per_script = 200;
/// A demand counts this many intervals: an instance that stopped reporting (gone, or
/// its demand ended) leaves the others' shares within three intervals.
constexpr int fresh_intervals = 3;

/// Takes per second over `elapsed`, at least 1 for a bucket taken from at all.
long long per_second(std::uint32_t takes, std::chrono::steady_clock::duration elapsed) {
    const auto ms = std::max<long long>(1, std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count());
    return std::max<long long>(1, (static_cast<long long>(takes) * 1000 + ms - 1) / ms);
}

}  // namespace

rate_share_sync::rate_share_sync(const conf::rate_limits_shared_config& settings, tenant_limiter& limiter,
                                 std::string instance)
    : settings_(settings),
      limiter_(limiter),
      instance_(std::move(instance)),
      last_exchange_(std::chrono::steady_clock::now()),
      link_(settings_.redis, settings_.timeout,
            {"shared rate limits connected",
             "shared rate limits unavailable: each instance enforces every rate limit alone "
             "until Redis answers again"},
            thread_.get_executor()),
      timer_(thread_) {
    asio::post(thread_, [this] {
        link_.connect();
        schedule();
    });
}

rate_share_sync::~rate_share_sync() {
    asio::post(thread_, [this] {
        stopping_ = true;
        timer_.cancel();
        link_.stop();
    });
    thread_.join();
}

void rate_share_sync::schedule() {
    if (stopping_) return;
    timer_.expires_after(settings_.sync_interval);
    timer_.async_wait([this](const boost::system::error_code& ec) {
        if (ec) return;
        exchange();
        schedule();
    });
}

void rate_share_sync::exchange() {
    const auto now = std::chrono::steady_clock::now();
    const auto elapsed = now - last_exchange_;
    last_exchange_ = now;
    const auto demand = limiter_.drain_demand(max_keys_per_exchange);
    if (!link_.connected()) {
        fall_back();
        return;
    }
    const auto fresh = settings_.sync_interval * fresh_intervals;
    std::vector<std::vector<std::string>> scripts;
    for (std::size_t first = 0; first < demand.size(); first += keys_per_script) {
        const std::size_t last = std::min(demand.size(), first + keys_per_script);
        std::vector<std::string> argv{"EVAL", exchange_script, std::to_string(last - first)};
        for (std::size_t i = first; i < last; ++i) argv.push_back(settings_.key_prefix + demand[i].first);
        argv.push_back(instance_);
        argv.push_back(std::to_string(fresh.count()));
        for (std::size_t i = first; i < last; ++i) argv.push_back(std::to_string(per_second(demand[i].second, elapsed)));
        scripts.push_back(std::move(argv));
    }
    // with nothing to exchange a PING keeps the link's state (and /metrics) true
    if (scripts.empty()) scripts.push_back({"PING"});
    std::vector<std::vector<long long>> totals;
    if (!link_.pipeline(scripts, &totals)) {
        fall_back();
        return;
    }
    std::size_t index = 0;
    for (const auto& batch : totals) {
        for (const long long total : batch) {
            if (index >= demand.size()) break;
            const auto mine = static_cast<double>(per_second(demand[index].second, elapsed));
            limiter_.set_share(demand[index].first, mine / std::max(mine, static_cast<double>(total)));
            ++index;
        }
    }
    shares_set_ = true;
    exchanges_.fetch_add(1, std::memory_order_relaxed);
}

void rate_share_sync::fall_back() {
    failures_.fetch_add(1, std::memory_order_relaxed);
    if (!shares_set_) return;
    limiter_.reset_shares();
    shares_set_ = false;
}

void write_rate_share_metrics(metrics_writer& writer, const rate_share_sync* sync) {
    if (sync == nullptr) return;
    writer.family("tenant_gateway_rate_limit_shared_up",
                  "1 while this instance splits the rate limits with the others through Redis; 0 "
                  "while it enforces every limit alone (Redis down, slow or erroring).",
                  "gauge");
    writer.sample("tenant_gateway_rate_limit_shared_up", {}, sync->connected() ? 1.0 : 0.0);
    writer.family("tenant_gateway_rate_limit_shared_exchanges_total",
                  "Demand exchanges with the other instances, by result (ok, failed).", "counter");
    writer.sample("tenant_gateway_rate_limit_shared_exchanges_total", {{"result", "ok"}},
                  static_cast<double>(sync->exchanges()));
    writer.sample("tenant_gateway_rate_limit_shared_exchanges_total", {{"result", "failed"}},
                  static_cast<double>(sync->failures()));
}

std::string rate_share_instance_name(const conf::cluster_config& cluster) {
    if (cluster.instances > 1) return fmt::format("i{}", cluster.instance_id);
    std::array<char, 256> host{};
    if (gethostname(host.data(), host.size() - 1) != 0) host[0] = '\0';
    return fmt::format("{}:{}", host.data(), getpid());
}

}  // namespace gateway
