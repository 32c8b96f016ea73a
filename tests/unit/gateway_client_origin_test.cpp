// Who the client is: the TCP peer, unless a trusted proxy names it in X-Forwarded-For or
// Forwarded; and the proxy's header rewriting that must not let a client choose framing
// or the fields the gateway owns.
#include <catch2/catch.hpp>

#include "gateway/http/client_origin.hpp"
#include "gateway/proxy/proxy_headers.hpp"

namespace {

namespace asio = boost::asio;
namespace http = boost::beast::http;

http::request_header<> header_with(std::initializer_list<std::pair<const char*, const char*>> fields) {
    http::request_header<> header;
    header.method(http::verb::get);
    header.target("/");
    for (const auto& [name, value] : fields) header.insert(name, value);
    return header;
}

gateway::client_origin origin_of(const http::request_header<>& header, const char* peer,
                                 std::vector<std::string> trusted) {
    const auto address = asio::ip::make_address(peer);
    return gateway::resolve_client_origin(header, address, gateway::unmapped(address).to_string(),
                                          gateway::trusted_proxies(trusted));
}

}  // namespace

TEST_CASE("an untrusted peer is the client whatever it forwards", "[origin]") {
    const auto header = header_with({{"X-Forwarded-For", "127.0.0.1"}, {"X-Forwarded-Proto", "https"}});
    const auto origin = origin_of(header, "203.0.113.5", {"127.0.0.1/32"});
    CHECK(origin.address_text == "203.0.113.5");
    CHECK_FALSE(origin.via_trusted_proxy);
    CHECK(origin.proto == "http");
    CHECK(origin_of(header, "127.0.0.1", {}).address_text == "127.0.0.1");
}

TEST_CASE("behind trusted proxies the rightmost untrusted hop is the client", "[origin]") {
    const std::vector<std::string> trusted = {"127.0.0.0/8", "10.0.0.0/8"};
    CHECK(origin_of(header_with({{"X-Forwarded-For", "1.1.1.1, 198.51.100.7"}}), "127.0.0.1", trusted)
              .address_text == "198.51.100.7");
    CHECK(origin_of(header_with({{"X-Forwarded-For", "198.51.100.7, 10.1.2.3"}}), "127.0.0.1", trusted)
              .address_text == "198.51.100.7");
    CHECK(origin_of(header_with({{"X-Forwarded-For", "9.9.9.9"}, {"X-Forwarded-For", "10.0.0.1"}}),
                    "::ffff:127.0.0.1", trusted)
              .address_text == "9.9.9.9");
    // nothing forwarded: the proxy itself is the client
    CHECK(origin_of(header_with({}), "127.0.0.1", trusted).address_text == "127.0.0.1");
    // garbage ends the walk as an unknown, non-local client
    const auto garbage = origin_of(header_with({{"X-Forwarded-For", "127.0.0.1, nonsense"}}), "127.0.0.1", trusted);
    CHECK(garbage.address_text == "unknown");
    CHECK_FALSE(garbage.address.is_loopback());
}

TEST_CASE("Forwarded for= is read when X-Forwarded-For is absent", "[origin]") {
    const std::vector<std::string> trusted = {"127.0.0.1/32", "::1/128"};
    CHECK(origin_of(header_with({{"Forwarded", "for=192.0.2.60;proto=https, for=\"[2001:db8::1]:4711\""}}),
                    "::1", trusted)
              .address_text == "2001:db8::1");
    CHECK(origin_of(header_with({{"Forwarded", "for=192.0.2.60:80"}}), "127.0.0.1", trusted).address_text ==
          "192.0.2.60");
    const auto proto = origin_of(header_with({{"X-Forwarded-Proto", "HTTPS"}}), "127.0.0.1", trusted);
    CHECK(proto.proto == "https");
}

TEST_CASE("field names are folded as CGI servers fold them", "[proxy]") {
    CHECK(gateway::folded_name("X_Company_Code") == "x-company-code");
    CHECK(gateway::folded_name("x-FORWARDED_for") == "x-forwarded-for");
}

TEST_CASE("the upstream request is framed by the gateway alone", "[proxy]") {
    auto header = header_with({{"Connection", "Content-Length, Host, Transfer-Encoding, X-Other"},
                               {"Content-Length", "5"},
                               {"Host", "app.example"},
                               {"X-Other", "1"},
                               {"X_Company_Code", "BRAVO"},
                               {"X-Forwarded_For", "6.6.6.6"}});
    gateway::forward_facts facts;
    facts.peer_ip = "127.0.0.1";
    facts.client_ip = "127.0.0.1";
    facts.tenant = "ALPHA";
    facts.request_id = "r1";
    facts.tenant_header = "X-Company-Code";
    gateway::prepare_upstream_request(header, facts, {false, 5}, false);
    CHECK(header[http::field::content_length] == "5");
    CHECK(header[http::field::host] == "app.example");
    CHECK(header.count("X-Other") == 0);
    CHECK(header.count("X_Company_Code") == 0);
    CHECK(header["X-Company-Code"] == "ALPHA");
    CHECK(header["X-Forwarded-For"] == "127.0.0.1");
    CHECK(header.count("X-Forwarded_For") == 0);

    auto chunked = header_with({{"Content-Length", "5"}});
    gateway::prepare_upstream_request(chunked, facts, {true, std::nullopt}, false);
    CHECK(chunked.count(http::field::content_length) == 0);
    CHECK(chunked[http::field::transfer_encoding] == "chunked");
}
