// The TDS framing the TLS bridge reads from a server before anything is encrypted: a
// hostile or broken server must get a clean "no" (nullopt), never an out-of-bounds read.
#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdint>
#include <vector>

#include "tds_pool/tls/loopback_peer.hpp"
#include "tds_pool/tls/prelogin_packet.hpp"
#include "tds_pool/tls/tls_channel.hpp"

using namespace tds_pool::tls;

namespace {

std::vector<std::uint8_t> payload_of(const std::vector<std::uint8_t>& packet) {
    return {packet.begin() + packet_header_size, packet.end()};
}

}  // namespace

TEST_CASE("the gateway's PRELOGIN carries the ENCRYPTION it asks for", "[pool][tls]") {
    for (auto asked : {encryption_byte::on, encryption_byte::off}) {
        const auto packet = make_prelogin(asked);
        const auto header = parse_header(std::span<const std::uint8_t, packet_header_size>(packet.data(), packet_header_size));
        REQUIRE(header);
        CHECK(header->type == packet_type_prelogin);
        CHECK(header->end_of_message());
        CHECK(header->length == packet.size());
        const auto found = find_encryption(payload_of(packet));
        REQUIRE(found);
        CHECK(found->value == asked);
    }
}

TEST_CASE("a malformed PRELOGIN answer has no ENCRYPTION option", "[pool][tls]") {
    const auto good = payload_of(make_prelogin(encryption_byte::on));
    // every truncation of a valid answer is refused or still points inside what is left
    for (std::size_t size = 0; size < good.size(); ++size) {
        const std::vector<std::uint8_t> cut(good.begin(), good.begin() + static_cast<std::ptrdiff_t>(size));
        if (auto found = find_encryption(cut)) {
            CHECK(found->offset < cut.size());
        }
    }
    // an ENCRYPTION entry whose offset points past the payload, or of length 0
    const std::vector<std::uint8_t> past_end = {0x01, 0x00, 0x40, 0x00, 0x01, 0xFF};
    CHECK_FALSE(find_encryption(past_end));
    const std::vector<std::uint8_t> empty_value = {0x01, 0x00, 0x06, 0x00, 0x00, 0xFF, 0x01};
    CHECK_FALSE(find_encryption(empty_value));
    // no ENCRYPTION option at all: only VERSION, then the terminator
    const std::vector<std::uint8_t> version_only = {0x00, 0x00, 0x06, 0x00, 0x06, 0xFF, 0, 0, 0, 0, 0, 0};
    CHECK_FALSE(find_encryption(version_only));
    CHECK_FALSE(find_encryption(std::vector<std::uint8_t>{}));
}

TEST_CASE("packet headers with impossible lengths are refused", "[pool][tls]") {
    std::array<std::uint8_t, packet_header_size> header = {0x04, 0x01, 0x00, 0x07, 0, 0, 1, 0};
    CHECK_FALSE(parse_header(header));  // shorter than its own header
    header[2] = 0xFF;
    header[3] = 0xFF;
    CHECK_FALSE(parse_header(header));  // beyond any PRELOGIN a server sends
    header[2] = 0x00;
    header[3] = 0x08;
    REQUIRE(parse_header(header));
    CHECK(parse_header(header)->payload_size() == 0);
}

TEST_CASE("handshake records are cut into PRELOGIN packets, the last one ending the message", "[pool][tls]") {
    const std::vector<std::uint8_t> records(10000, 0x16);
    const auto packets = wrap_in_prelogin_packets(records, 4096);
    std::size_t at = 0;
    std::size_t payload_total = 0;
    int count = 0;
    while (at < packets.size()) {
        const auto header = parse_header(std::span<const std::uint8_t, packet_header_size>(packets.data() + at, packet_header_size));
        REQUIRE(header);
        CHECK(header->type == packet_type_prelogin);
        CHECK(header->length <= 4096);
        payload_total += header->payload_size();
        at += header->length;
        ++count;
        CHECK(header->end_of_message() == (at == packets.size()));
    }
    CHECK(at == packets.size());
    CHECK(payload_total == records.size());
    CHECK(count == 3);
}

TEST_CASE("a TLS session cannot be set up with a CA file that is not PEM", "[pool][tls]") {
    conf::tls_settings settings;
    settings.ca_file = "/dev/null";
    const auto channel = tls_channel::create(settings, "db.example.com");
    CHECK(std::holds_alternative<std::string>(channel));
}

namespace {

/// A listener on 127.0.0.1 with an ephemeral port.
int loopback_listener(std::uint16_t& port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0);
    REQUIRE(::listen(fd, 4) == 0);
    socklen_t size = sizeof(address);
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &size);
    port = ntohs(address.sin_port);
    return fd;
}

/// Connects to 127.0.0.1:port; async-signal-safe, so a forked child may call it.
int connect_loopback(std::uint16_t port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = htons(port);
    return ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0 ? fd : -1;
}

}  // namespace

TEST_CASE("the relay tells FreeTDS's connection from another process's", "[pool][tls]") {
    std::uint16_t port = 0;
    const int listener = loopback_listener(port);

    SECTION("a socket of this process") {
        const int ours = connect_loopback(port);
        REQUIRE(ours >= 0);
        const int accepted = ::accept(listener, nullptr, nullptr);
        CHECK(peer_is_this_process(accepted));
        ::close(accepted);
        ::close(ours);
    }
    SECTION("a socket of another process, connected first") {
        const pid_t child = ::fork();
        REQUIRE(child >= 0);
        if (child == 0) {
            const int theirs = connect_loopback(port);
            ::pause();  // holds the connection open until killed
            ::_exit(theirs >= 0 ? 0 : 1);
        }
        const int accepted = ::accept(listener, nullptr, nullptr);
        CHECK_FALSE(peer_is_this_process(accepted));
        ::kill(child, SIGKILL);
        ::waitpid(child, nullptr, 0);
        ::close(accepted);
    }
    ::close(listener);
}
