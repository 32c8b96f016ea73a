// The login limiter: attempts reserve before the password check, account and address
// budgets, key normalisation, bounded memory, lockouts learned from the shared store. A
// manual clock is injected: no sleeping.
#include <catch2/catch.hpp>

#include <optional>
#include <string>
#include <vector>

#include "gateway/auth/login_limiter.hpp"
#include "gateway/auth/login_slots.hpp"
#include "tests/unit/awaitable_runner.hpp"

using namespace std::chrono_literals;
using gateway::login_budget;
using gateway::login_key;
using gateway::login_limiter;
using gateway::login_slots;
using unit_test::run;

namespace {

const auto t0 = login_limiter::clock::time_point{} + 1000s;

/// The time the limiters of a test read; each test starts at t0 and moves it by hand.
struct manual_clock {
    login_limiter::clock::time_point now = t0;
    login_limiter::clock_function reader() {
        return [this] { return now; };
    }
};

conf::login_limit_config limits(std::size_t account, std::size_t address, std::size_t entries = 1000) {
    conf::login_limit_config out;
    out.max_failures = account;
    out.per_address_max_failures = address;
    out.window = 300s;
    out.max_entries = entries;
    return out;
}

std::vector<login_key> keys(const std::string& tenant, const std::string& user, const std::string& ip) {
    return {gateway::login_account_key(tenant, user), gateway::login_address_key(ip)};
}

/// One attempt that reserves and then fails; true when it was let through.
bool failed_attempt(login_limiter& limiter, const std::vector<login_key>& k) {
    login_slots slots(limiter, k);
    if (slots.refusal()) return false;
    slots.failed();
    return true;
}

}  // namespace

TEST_CASE("attempts in flight count against the budget", "[limiter]") {
    manual_clock clock;
    login_limiter limiter(limits(5, 100), clock.reader());
    const auto k = keys("ACME", "ops@x", "10.0.0.1");
    // 30 attempts arrive together: only 5 may go on to the password check
    std::vector<login_slots> in_flight;
    std::size_t refused = 0;
    for (int i = 0; i < 30; ++i) {
        login_slots slots(limiter, k);
        if (slots.refusal()) {
            ++refused;
            CHECK(slots.refusal()->budget == login_budget::account);
            CHECK(slots.refusal()->retry_after >= 1s);
        } else {
            in_flight.push_back(std::move(slots));
        }
    }
    CHECK(in_flight.size() == 5);
    CHECK(refused == 25);
    clock.now = t0 + 1s;
    for (auto& slots : in_flight) slots.failed();
    clock.now = t0 + 100s;
    const login_slots after(limiter, k);
    REQUIRE(after.refusal());
    CHECK(after.refusal()->retry_after == 200s);  // until the window that began at t0 ends
    clock.now = t0 + 300s;
    CHECK_FALSE(login_slots(limiter, k).refusal());  // window over
}

TEST_CASE("a success releases its slot and clears the account's failures", "[limiter]") {
    manual_clock clock;
    login_limiter limiter(limits(3, 100), clock.reader());
    const auto k = keys("ACME", "john", "10.0.0.1");
    CHECK(failed_attempt(limiter, k));
    CHECK(failed_attempt(limiter, k));
    {
        login_slots ok(limiter, k);
        REQUIRE_FALSE(ok.refusal());
        ok.succeeded();
    }
    CHECK(failed_attempt(limiter, k));
    CHECK(failed_attempt(limiter, k));
    CHECK(failed_attempt(limiter, k));
    CHECK_FALSE(failed_attempt(limiter, k));
}

TEST_CASE("an attempt that never reached the password check counts nothing", "[limiter]") {
    manual_clock clock;
    login_limiter limiter(limits(2, 100), clock.reader());
    const auto k = keys("ACME", "john", "10.0.0.1");
    for (int i = 0; i < 10; ++i) {
        const login_slots dropped(limiter, k);  // database down: destroyed unsettled
        CHECK_FALSE(dropped.refusal());
    }
    CHECK(limiter.size() == 0);
}

TEST_CASE("user names are keyed as SQL Server compares them", "[limiter]") {
    CHECK(gateway::normalise_login_name("Ops@X  ") == "ops@x");
    CHECK(gateway::normalise_login_name("OPS@x") == "ops@x");
    CHECK(gateway::normalise_login_name("   ") == "");
    // leading spaces and other blanks are significant to `=`
    CHECK(gateway::normalise_login_name(" ops@x") == " ops@x");
    CHECK(gateway::normalise_login_name("ops@x\t") == "ops@x\t");

    manual_clock clock;
    login_limiter limiter(limits(3, 100), clock.reader());
    CHECK(failed_attempt(limiter, keys("ACME", "ops@x ", "10.0.0.1")));
    CHECK(failed_attempt(limiter, keys("ACME", "OPS@X", "10.0.0.2")));
    CHECK(failed_attempt(limiter, keys("ACME", "Ops@x   ", "10.0.0.3")));
    CHECK_FALSE(failed_attempt(limiter, keys("ACME", "ops@x", "10.0.0.4")));
    CHECK(failed_attempt(limiter, keys("DEMO", "ops@x", "10.0.0.4")));  // per tenant
    CHECK(failed_attempt(limiter, keys("ACME", "other@x", "10.0.0.4")));  // per account
}

TEST_CASE("every spelling the database resolves to one row shares its budget", "[limiter]") {
    manual_clock clock;
    login_limiter limiter(limits(3, 100), clock.reader());
    // names the normaliser cannot tie together (width, non-ASCII case) that the database
    // matched to user 17: the row's key is reserved after the lookup
    const std::vector<std::string> spellings = {"ｏｐｓ@x", "OPS@X", "Ｏps@x", "oＰs@x"};
    std::size_t checked = 0;
    for (const auto& name : spellings) {
        login_slots slots(limiter, keys("ACME", name, "10.0.0.1"));
        REQUIRE_FALSE(slots.refusal());
        if (auto refusal = run(slots.add(gateway::login_user_id_key("ACME", "17")))) {
            CHECK(refusal->budget == login_budget::account);
            continue;  // released, not counted: the password was never checked
        }
        ++checked;
        slots.failed();
    }
    CHECK(checked == 3);
}

TEST_CASE("each client address has its own budget across accounts and tenants", "[limiter]") {
    manual_clock clock;
    login_limiter limiter(limits(5, 4), clock.reader());
    CHECK(failed_attempt(limiter, keys("ACME", "a", "10.0.0.1")));
    CHECK(failed_attempt(limiter, keys("ACME", "b", "10.0.0.1")));
    CHECK(failed_attempt(limiter, keys("DEMO", "c", "10.0.0.1")));
    CHECK(failed_attempt(limiter, keys("DEMO", "d", "10.0.0.1")));
    const login_slots refused(limiter, keys("ACME", "e", "10.0.0.1"));
    REQUIRE(refused.refusal());
    CHECK(refused.refusal()->budget == login_budget::address);
    CHECK(failed_attempt(limiter, keys("ACME", "e", "10.0.0.2")));  // another address

    // a success does not refill the address's budget
    login_limiter fresh(limits(5, 2), clock.reader());
    CHECK(failed_attempt(fresh, keys("ACME", "a", "10.0.0.9")));
    {
        login_slots ok(fresh, keys("ACME", "mine", "10.0.0.9"));
        REQUIRE_FALSE(ok.refusal());
        ok.succeeded();
    }
    CHECK(failed_attempt(fresh, keys("ACME", "b", "10.0.0.9")));
    CHECK_FALSE(failed_attempt(fresh, keys("ACME", "c", "10.0.0.9")));
}

TEST_CASE("both budgets are taken together or not at all", "[limiter]") {
    manual_clock clock;
    login_limiter limiter(limits(1, 2), clock.reader());
    CHECK(failed_attempt(limiter, keys("ACME", "locked", "10.0.0.1")));
    // the account is spent: refused without taking a slot of the address
    for (int i = 0; i < 5; ++i) CHECK(login_slots(limiter, keys("ACME", "locked", "10.0.0.1")).refusal());
    CHECK(failed_attempt(limiter, keys("ACME", "other", "10.0.0.1")));
    // the address is spent now: refused without taking a slot of the fresh account
    CHECK(login_slots(limiter, keys("ACME", "fresh", "10.0.0.1")).refusal()->budget == login_budget::address);
    CHECK(failed_attempt(limiter, keys("ACME", "fresh", "10.0.0.2")));
}

TEST_CASE("the login limiter keeps bounded memory", "[limiter]") {
    manual_clock clock;
    login_limiter limiter(limits(2, 1000000, 10), clock.reader());
    const auto victim = keys("ACME", "victim", "10.0.0.1");
    CHECK(failed_attempt(limiter, victim));
    CHECK(failed_attempt(limiter, victim));
    clock.now = t0 + 1s;
    for (int i = 0; i < 3; ++i) CHECK(failed_attempt(limiter, keys("ACME", "user" + std::to_string(i), "10.0.0.1")));
    clock.now = t0 + 2s;
    CHECK(login_slots(limiter, victim).refusal());
    for (int i = 0; i < 1000; ++i) failed_attempt(limiter, keys("ACME", "flood" + std::to_string(i), "10.0.0.1"));
    CHECK(limiter.size() <= 10);
    // expired entries go first once the window has passed
    clock.now = t0 + 400s;
    failed_attempt(limiter, keys("ACME", "late", "10.0.0.2"));
    CHECK(limiter.size() <= 10);
}

TEST_CASE("an IPv6 client's budget is its /64, an IPv4-mapped one its IPv4 address", "[limiter]") {
    using gateway::login_address_key;
    CHECK(login_address_key("2001:db8:1:2:aaaa::1").text == login_address_key("2001:db8:1:2:ffff::9").text);
    CHECK(login_address_key("2001:db8:1:2::1").text != login_address_key("2001:db8:1:3::1").text);
    CHECK(login_address_key("::ffff:10.0.0.1").text == login_address_key("10.0.0.1").text);
    CHECK(login_address_key("10.0.0.1").text != login_address_key("10.0.0.2").text);
    CHECK(login_address_key("10.0.0.1").budget == login_budget::address);
}

TEST_CASE("a flood of new keys evicts keys under their budget before locked ones", "[limiter]") {
    manual_clock clock;
    login_limiter limiter(limits(2, 1000000, 10), clock.reader());
    const auto victim = keys("ACME", "victim", "10.0.0.1");
    CHECK(failed_attempt(limiter, victim));
    CHECK(failed_attempt(limiter, victim));
    clock.now = t0 + 1s;
    for (int i = 0; i < 5000; ++i) {
        failed_attempt(limiter, keys("ACME", "flood" + std::to_string(i), "10.0.0." + std::to_string(i % 200)));
    }
    CHECK(limiter.size() <= 10);
    clock.now = t0 + 2s;
    const login_slots refused(limiter, victim);
    REQUIRE(refused.refusal());
    CHECK(refused.refusal()->budget == login_budget::account);
    // once its window is over it goes like any other
    clock.now = t0 + 301s;
    CHECK_FALSE(login_slots(limiter, victim).refusal());
}

TEST_CASE("reloaded budgets judge the failures counted so far", "[limiter]") {
    manual_clock clock;
    login_limiter limiter(limits(3, 100), clock.reader());
    const auto k = keys("ACME", "ops@x", "10.0.0.1");
    CHECK(failed_attempt(limiter, k));
    CHECK(failed_attempt(limiter, k));
    limiter.set_limits(limits(2, 100));
    clock.now = t0 + 1s;
    CHECK_FALSE(failed_attempt(limiter, k));  // 2 failures: spent under the new budget
    limiter.set_limits(limits(5, 100));
    clock.now = t0 + 2s;
    CHECK(failed_attempt(limiter, k));  // unlocked by the larger budget
}

TEST_CASE("a reloaded window and a smaller table apply to kept keys", "[limiter]") {
    manual_clock clock;
    login_limiter limiter(limits(1, 100, 10), clock.reader());
    for (int i = 0; i < 6; ++i) {
        CHECK(failed_attempt(limiter, keys("ACME", "user" + std::to_string(i), "10.0.0.1")));
    }
    CHECK(limiter.size() == 7);  // six accounts and one address
    auto shorter = limits(1, 100, 3);
    shorter.window = 10s;
    clock.now = t0 + 1s;
    limiter.set_limits(shorter);
    CHECK(limiter.size() <= 3);
    // user5 was locked for 300 s; under the 10 s window it may try again after 10 s
    clock.now = t0 + 11s;
    CHECK(failed_attempt(limiter, keys("ACME", "user5", "10.0.0.2")));
}

TEST_CASE("a lockout learned from the shared store holds until the shared window ends", "[limiter]") {
    manual_clock clock;
    login_limiter limiter(limits(5, 100), clock.reader());
    const auto k = keys("ACME", "ops@x", "10.0.0.1");
    CHECK(failed_attempt(limiter, k));  // one local failure of the five
    limiter.lock_out(k[0], 120s);
    const login_slots locked(limiter, k);
    REQUIRE(locked.refusal());
    CHECK(locked.refusal()->budget == login_budget::account);
    CHECK(locked.refusal()->retry_after == 120s);
    clock.now = t0 + 119s;
    CHECK(login_slots(limiter, k).refusal());
    clock.now = t0 + 120s;
    CHECK_FALSE(login_slots(limiter, k).refusal());  // the shared window ended too

    // a longer local lockout is not shortened
    for (int i = 0; i < 5; ++i) CHECK(failed_attempt(limiter, keys("ACME", "b", "10.0.0.2")));
    limiter.lock_out(gateway::login_account_key("ACME", "b"), 10s);
    clock.now = t0 + 200s;
    CHECK(login_slots(limiter, keys("ACME", "b", "10.0.0.3")).refusal());
}
