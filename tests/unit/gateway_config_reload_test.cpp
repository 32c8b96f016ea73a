// What a reload refuses because it needs a restart (restart_needed): pure, no server.
#include <catch2/catch.hpp>

#include "conf/redis_url.hpp"
#include "gateway/app/config_reload.hpp"

TEST_CASE("reloadable changes need no restart", "[reload]") {
    conf::config running;
    conf::config next = running;
    CHECK_FALSE(gateway::restart_needed(running, next));
    next.pools.max_size = 3;
    next.registry.source = conf::registry_source::tds;
    next.listen.trusted_proxies = {"10.0.0.0/8"};
    next.auth.secret_ref = "env:OTHER";
    next.limits.max_body_bytes = 10;
    CHECK_FALSE(gateway::restart_needed(running, next));
}

TEST_CASE("listen address, port, io_threads and worker threads need a restart", "[reload]") {
    conf::config running;
    running.listen.port = 8080;
    conf::config next = running;
    next.listen.port = 9090;
    auto why = gateway::restart_needed(running, next);
    REQUIRE(why);
    CHECK(why->find("listen.port 8080 -> 9090") != std::string::npos);
    CHECK(why->find("restart") != std::string::npos);

    next = running;
    next.listen.address = "127.0.0.1";
    next.listen.io_threads = running.listen.io_threads + 1;
    next.pools.worker_threads = running.pools.worker_threads + 1;
    why = gateway::restart_needed(running, next);
    REQUIRE(why);
    CHECK(why->find("listen.address") != std::string::npos);
    CHECK(why->find("listen.io_threads") != std::string::npos);
    CHECK(why->find("pools.worker_threads") != std::string::npos);
}

TEST_CASE("shared rate limits need a restart, and the message never prints their URL", "[reload]") {
    conf::config running;
    conf::config next = running;
    conf::rate_limits_shared_config shared;
    shared.redis = *conf::parse_redis_url("redis://:s3cret@127.0.0.1:6379/0");
    next.rate_limits.shared = shared;
    auto why = gateway::restart_needed(running, next);
    REQUIRE(why);
    CHECK(why->find("rate_limits.shared") != std::string::npos);
    CHECK(why->find("s3cret") == std::string::npos);
    running.rate_limits.shared = shared;
    CHECK_FALSE(gateway::restart_needed(running, next));
}

TEST_CASE("turning HTTPS on or off, or moving its port, needs a restart; new files do not", "[reload]") {
    conf::config running;
    running.listen.tls.enabled = true;
    running.listen.tls.cert_file = "/etc/a.pem";
    conf::config next = running;
    next.listen.tls.cert_file = "/etc/b.pem";
    next.listen.tls.hsts.enabled = true;
    CHECK_FALSE(gateway::restart_needed(running, next));
    next.listen.tls.port = 9443;
    auto why = gateway::restart_needed(running, next);
    REQUIRE(why);
    CHECK(why->find("listen.tls.port 8443 -> 9443") != std::string::npos);
    next = running;
    next.listen.tls.enabled = false;
    why = gateway::restart_needed(running, next);
    REQUIRE(why);
    CHECK(why->find("listen.tls on -> off") != std::string::npos);
}
