// The shared login store without a working Redis: a login never waits longer than the
// timeout for it, the fallback is counted, and the local budgets still refuse (never
// open). The store against a real redis-server: tests/integration/test_shared_login_limit.py.
#include <catch2/catch.hpp>

#include <chrono>
#include <memory>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "gateway/auth/login_slots.hpp"
#include "gateway/auth/shared_login_store.hpp"
#include "tests/unit/awaitable_runner.hpp"

using namespace std::chrono_literals;
using gateway::login_key;
using gateway::shared_answer;
using unit_test::run;

namespace {

namespace asio = boost::asio;

conf::login_limit_config shared_limits(std::uint16_t port) {
    conf::login_limit_config out;
    out.max_failures = 3;
    out.per_address_max_failures = 100;
    conf::login_limit_shared_config shared;
    shared.redis = *conf::parse_redis_url("redis://127.0.0.1:" + std::to_string(port));
    shared.timeout = 50ms;
    out.shared = shared;
    return out;
}

std::vector<login_key> keys(const std::string& user) {
    return {gateway::login_account_key("ACME", user), gateway::login_address_key("10.0.0.1")};
}

/// A loopback port nobody listens on.
std::uint16_t closed_port() {
    asio::io_context io;
    asio::ip::tcp::acceptor acceptor(io, {asio::ip::make_address("127.0.0.1"), 0});
    return acceptor.local_endpoint().port();
}

}  // namespace

TEST_CASE("a Redis that accepts connections and never answers costs a login at most the timeout",
          "[shared_limiter]") {
    // the kernel completes connections to a listening socket nobody accepts from
    asio::io_context io;
    asio::ip::tcp::acceptor silent(io, {asio::ip::make_address("127.0.0.1"), 0});
    const auto limits = shared_limits(silent.local_endpoint().port());
    auto stats = std::make_shared<gateway::shared_login_stats>();
    gateway::shared_login_store store(limits, stats);
    for (int i = 0; i < 3; ++i) {
        const auto started = std::chrono::steady_clock::now();
        const auto answer = run(store.reserve(keys("ops@x")));
        const auto took = std::chrono::steady_clock::now() - started;
        CHECK(answer.answer == shared_answer::unavailable);
        CHECK(took < 500ms);  // 50 ms, with room for a loaded machine
    }
    CHECK_FALSE(store.connected());
    CHECK(stats->down + stats->timeout + stats->error == 3);
}

TEST_CASE("without Redis the local budgets decide: the limiter never opens", "[shared_limiter]") {
    const auto limits = shared_limits(closed_port());
    auto stats = std::make_shared<gateway::shared_login_stats>();
    auto store = std::make_shared<gateway::shared_login_store>(limits, stats);
    gateway::login_limiter local(limits);
    std::size_t checked = 0;
    for (int i = 0; i < 6; ++i) {
        gateway::login_slots slots(local, keys("ops@x"), store);
        if (!slots.refusal()) run(slots.share());
        if (slots.refusal()) continue;
        ++checked;
        slots.failed();
    }
    CHECK(checked == 3);
    CHECK(stats->down + stats->timeout + stats->error >= 3);
    CHECK_FALSE(store->connected());
}
