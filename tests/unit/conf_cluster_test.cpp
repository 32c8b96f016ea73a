// `cluster:`, the new `pools:` keys that shape many instances, and registry.change_poll_interval.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <climits>
#include <cstdlib>

#include "conf/parse_sections.hpp"
#include "tests/unit/conf_test_util.hpp"

using conf_test::load;
using conf_test::load_error;

TEST_CASE("cluster: defaults to one instance, reads instances and instance_id", "[conf][cluster]") {
    const conf::config none = load("listen:\n  port: 0\n");
    CHECK(none.cluster.instances == 1);
    CHECK(none.cluster.instance_id == 0);
    const conf::config three = load("cluster:\n  instances: 3\n  instance_id: 2\n");
    CHECK(three.cluster.instances == 3);
    CHECK(three.cluster.instance_id == 2);
}

TEST_CASE("cluster: values from the environment", "[conf][cluster]") {
    ::setenv("TG_TEST_REPLICAS", "4", 1);
    ::setenv("TG_TEST_ORDINAL", "1", 1);
    const conf::config c = load("cluster:\n  instances: ${TG_TEST_REPLICAS}\n  instance_id: ${TG_TEST_ORDINAL}\n");
    CHECK(c.cluster.instances == 4);
    CHECK(c.cluster.instance_id == 1);
}

TEST_CASE("cluster: instances >= 1, instance_id below instances, no unknown keys", "[conf][cluster]") {
    CHECK(load_error("cluster:\n  instances: 0\n") == "t.yaml:2:14: expected an integer in 1..18446744073709551615");
    CHECK(load_error("cluster:\n  instances: 3\n  instance_id: 3\n") ==
          "t.yaml:3:16: cluster.instance_id 3 must be below cluster.instances 3");
    CHECK(load_error("cluster:\n  instance_id: 1\n") ==
          "t.yaml:2:16: cluster.instance_id 1 must be below cluster.instances 1");
    CHECK(load_error("cluster:\n  instance_id: -1\n  instances: 2\n").find("t.yaml:2:16: expected an integer") == 0);
    CHECK(load_error("cluster:\n  replicas: 3\n") == "t.yaml:2:3: unknown key 'replicas' in cluster");
}

TEST_CASE("cluster: the global caps must leave every instance a connection", "[conf][cluster]") {
    CHECK(load_error("cluster:\n  instances: 4\npools:\n  max_total_connections: 3\n") ==
          "t.yaml:4:26: pools.max_total_connections 3 is below cluster.instances 4: split across "
          "the instances, some would get no connection");
    CHECK(load_error("cluster:\n  instances: 4\npools:\n  max_connections_per_host: 2\n") ==
          "t.yaml:4:29: pools.max_connections_per_host 2 is below cluster.instances 4: split across "
          "the instances, some would get no connection");
    CHECK(load("cluster:\n  instances: 4\npools:\n  max_total_connections: 4\n  max_connections_per_host: 4\n")
              .pools.max_total_connections == 4);
}

TEST_CASE("cluster: the ordinal at the end of a host name", "[conf][cluster]") {
    CHECK(conf::host_name_ordinal("tenant-gateway-0") == 0u);
    CHECK(conf::host_name_ordinal("tenant-gateway-12") == 12u);
    CHECK(conf::host_name_ordinal("gw-2.gw.prod.svc.cluster.local") == 2u);
    CHECK_FALSE(conf::host_name_ordinal("tenant-gateway"));
    CHECK_FALSE(conf::host_name_ordinal("tenant-gateway-"));
    CHECK_FALSE(conf::host_name_ordinal("tenant-gateway-7f9c8"));
    CHECK_FALSE(conf::host_name_ordinal("-3"));
    CHECK_FALSE(conf::host_name_ordinal("gw-12345678901"));
    CHECK_FALSE(conf::host_name_ordinal(""));
}

TEST_CASE("cluster: instance_id hostname_ordinal reads this host's name", "[conf][cluster]") {
    char name[HOST_NAME_MAX + 1] = {};
    REQUIRE(::gethostname(name, sizeof name - 1) == 0);
    const auto ordinal = conf::host_name_ordinal(name);
    const std::string text = "cluster:\n  instances: 100000\n  instance_id: hostname_ordinal\n";
    if (ordinal && *ordinal < 100000) {
        CHECK(load(text).cluster.instance_id == *ordinal);
    } else if (!ordinal) {
        CHECK(load_error(text) ==
              std::string("t.yaml:3:16: instance_id: hostname_ordinal needs a host name ending in -N "
                          "(as a StatefulSet's pods are named), but the host name is '") + name + "'");
    }
    CHECK(load_error("cluster:\n  instance_id: hostname\n").find("t.yaml:2:16: expected an integer") == 0);
}

TEST_CASE("pools: max_lifetime_jitter is a fraction in [0, 1), max_opening_total >= 1", "[conf][cluster]") {
    const conf::config defaults = load("listen:\n  port: 0\n");
    CHECK(defaults.pools.max_lifetime_jitter == Approx(0.15));
    CHECK(defaults.pools.max_opening_total == 16);
    const conf::config set = load("pools:\n  max_lifetime_jitter: 0.3\n  max_opening_total: 4\n");
    CHECK(set.pools.max_lifetime_jitter == Approx(0.3));
    CHECK(set.pools.max_opening_total == 4);
    CHECK(load("pools:\n  max_lifetime_jitter: 0\n").pools.max_lifetime_jitter == 0.0);
    CHECK(load_error("pools:\n  max_lifetime_jitter: 1\n") ==
          "t.yaml:2:24: expected a fraction from 0 up to (not including) 1");
    CHECK(load_error("pools:\n  max_lifetime_jitter: -0.1\n") ==
          "t.yaml:2:24: expected a fraction from 0 up to (not including) 1");
    CHECK(load_error("pools:\n  max_lifetime_jitter: lots\n") == "t.yaml:2:24: expected a number");
    CHECK(load_error("pools:\n  max_opening_total: 0\n") ==
          "t.yaml:2:22: expected an integer in 1..18446744073709551615");
}

TEST_CASE("registry: change_poll_interval defaults to 5s, 0 turns it off", "[conf][cluster]") {
    CHECK(load("listen:\n  port: 0\n").registry.change_poll_interval == std::chrono::seconds(5));
    CHECK(load("registry:\n  change_poll_interval: 2s\n").registry.change_poll_interval ==
          std::chrono::seconds(2));
    CHECK(load("registry:\n  change_poll_interval: 0\n").registry.change_poll_interval.count() == 0);
    CHECK(load_error("registry:\n  change_poll_interval: often\n").find("t.yaml:2:25:") == 0);
}
