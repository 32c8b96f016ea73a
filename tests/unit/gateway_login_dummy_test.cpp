// The hashes verified for unknown users: per tenant and hash scheme, made by the gateway.
#include <catch2/catch.hpp>

#include "gateway/auth/login_dummy.hpp"
#include "gateway/auth/password_hash.hpp"

using namespace std::chrono_literals;

namespace {

gateway::made_dummy dummy(const std::string& stored, std::chrono::nanoseconds cost) {
    auto made = gateway::make_dummy_like(stored);
    REQUIRE(made);
    made->cost = cost;  // fixed, so the choice does not depend on this machine's load
    return *made;
}

}  // namespace

TEST_CASE("the scheme and cost of a stored hash exclude its salt", "[dummy]") {
    CHECK(gateway::hash_scheme_and_cost(gateway::hash_password("p", "$2b$", 4)) == "$2b$04$");
    CHECK(gateway::hash_scheme_and_cost(gateway::hash_password("p", "$y$", 3)) == "$y$j7T$");
    CHECK(gateway::hash_scheme_and_cost(gateway::hash_password("p", "$6$", 0)) == "$6$");
    CHECK(gateway::hash_scheme_and_cost(gateway::hash_password("p", "$6$", 9000)) == "$6$rounds=9000$");
    CHECK(gateway::hash_scheme_and_cost("$1$abc$def").empty());
    CHECK(gateway::hash_scheme_and_cost("plain").empty());
}

TEST_CASE("a dummy has the stored hash's setting and a password nobody knows", "[dummy]") {
    const std::string stored = gateway::hash_password("secret", "$2b$", 6);
    const auto made = gateway::make_dummy_like(stored);
    REQUIRE(made);
    CHECK(made->scheme == "$2b$06$");
    CHECK(made->hash.starts_with("$2b$06$"));
    CHECK(made->hash != stored);
    CHECK_FALSE(gateway::verify_password("secret", made->hash));
    CHECK_FALSE(gateway::make_dummy_like("$1$abc$def"));
}

TEST_CASE("each tenant's unknown users are checked against that tenant's costliest scheme", "[dummy]") {
    const std::string cheap = gateway::hash_password("p", "$2b$", 4);
    const std::string dear = gateway::hash_password("p", "$2b$", 8);
    gateway::dummy_hashes dummies(dummy(gateway::hash_password("p", "$6$"), 1ms));
    const std::string fallback = dummies.for_unknown_user("CHEAP");
    CHECK(fallback.starts_with("$6$"));

    REQUIRE(dummies.claim("DEAR", dear));
    CHECK_FALSE(dummies.claim("DEAR", dear));  // once per tenant and scheme
    CHECK(dummies.for_unknown_user("DEAR") == fallback);  // still being made
    dummies.add("DEAR", dummy(dear, 20ms));
    REQUIRE(dummies.claim("CHEAP", cheap));
    dummies.add("CHEAP", dummy(cheap, 1ms));

    // whatever tenant was seen last, each keeps its own
    CHECK(dummies.for_unknown_user("DEAR").starts_with("$2b$08$"));
    CHECK(dummies.for_unknown_user("CHEAP").starts_with("$2b$04$"));
    CHECK(dummies.for_unknown_user("OTHER") == fallback);
    // the dummy is never a stored hash itself
    CHECK(dummies.for_unknown_user("DEAR") != dear);

    // a tenant with two schemes: the costlier one
    REQUIRE(dummies.claim("CHEAP", dear));
    dummies.add("CHEAP", dummy(dear, 20ms));
    CHECK(dummies.for_unknown_user("CHEAP").starts_with("$2b$08$"));
}

TEST_CASE("the dummies are bounded", "[dummy]") {
    gateway::dummy_hashes dummies(dummy(gateway::hash_password("p", "$6$"), 1ms), 3);
    std::size_t claimed = 0;
    for (int cost = 4; cost < 12; ++cost) {
        claimed += dummies.claim("ACME", gateway::hash_password("p", "$2b$", static_cast<unsigned long>(cost))) ? 1 : 0;
    }
    CHECK(claimed == 3);
    CHECK_FALSE(dummies.claim("DEMO", gateway::hash_password("p", "$2b$", 4)));
    CHECK(dummies.size() == 3);
}
