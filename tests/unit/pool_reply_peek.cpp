// Reading a reply on the I/O thread: only when the whole reply is already buffered in
// plain TDS framing; a failure's clean-up stays on the blocking path.
#include <catch2/catch.hpp>

#include <poll.h>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <string_view>
#include <thread>
#include <vector>

#include "tds_pool/freetds/connection.hpp"
#include "tds_pool/freetds/reply_peek.hpp"
#include "tds_pool/freetds/socket_shortcut.hpp"
#include "tests/unit/pool_support.hpp"

using namespace std::chrono_literals;
using tds_pool::detail::is_whole_tds_reply;

namespace {

/// A TDS packet header (type, status, big-endian length) followed by `payload` bytes.
std::vector<unsigned char> packet(unsigned char type, unsigned char status, std::size_t payload) {
    const std::size_t length = 8 + payload;
    std::vector<unsigned char> bytes{type, status, static_cast<unsigned char>(length >> 8),
                                     static_cast<unsigned char>(length & 0xFF), 0, 51, 1, 0};
    bytes.resize(length, 0xD1);
    return bytes;
}

std::vector<unsigned char> joined(std::initializer_list<std::vector<unsigned char>> parts) {
    std::vector<unsigned char> out;
    for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
    return out;
}

/// `message` with its last 13 payload bytes made a DONE token (`token`) with `status`;
/// the token may start in an earlier packet than the last.
std::vector<unsigned char> ending_in_done(std::vector<unsigned char> message, unsigned status = 0,
                                          unsigned char token = 0xFD) {
    const unsigned char done[13] = {token, static_cast<unsigned char>(status & 0xFF),
                                    static_cast<unsigned char>(status >> 8), 0xC1, 0, 7, 0, 0, 0, 0, 0, 0, 0};
    // walk the packets, remembering where each payload byte sits
    std::vector<std::size_t> payload_at;
    for (std::size_t at = 0; at + 8 <= message.size();) {
        const std::size_t length = std::size_t{message[at + 2]} << 8 | message[at + 3];
        for (std::size_t i = at + 8; i < at + length; ++i) payload_at.push_back(i);
        at += length;
    }
    REQUIRE(payload_at.size() >= 13);
    for (std::size_t i = 0; i < 13; ++i) message[payload_at[payload_at.size() - 13 + i]] = done[i];
    return message;
}

/// Waits (bounded) until the connection's reply is wholly buffered.
bool wait_for_whole_reply(tds_pool::connection& conn) {
    for (int i = 0; i < 500; ++i) {
        if (conn.reply_buffered()) return true;
        std::this_thread::sleep_for(2ms);
    }
    return false;
}

}  // namespace

TEST_CASE("a whole reply is one message of 0x04 packets ending in EOM and a final DONE", "[reply_peek]") {
    CHECK(is_whole_tds_reply(ending_in_done(packet(0x04, 0x01, 20))));
    CHECK(is_whole_tds_reply(ending_in_done(packet(0x04, 0x01, 13), 0x0010)));        // DONE_COUNT
    CHECK(is_whole_tds_reply(ending_in_done(packet(0x04, 0x01, 30), 0x0002, 0xFE)));  // DONEPROC, error
    // the DONE split over the last two packets
    CHECK(is_whole_tds_reply(
        ending_in_done(joined({packet(0x04, 0x00, 4088), packet(0x04, 0x00, 100), packet(0x04, 0x01, 3)}))));
    CHECK(is_whole_tds_reply(ending_in_done(joined({packet(0x04, 0x00, 20), packet(0x04, 0x01, 0)}))));
    CHECK(is_whole_tds_reply(
        ending_in_done(joined({packet(0x04, 0x00, 5), packet(0x04, 0x00, 5), packet(0x04, 0x01, 3)}))));
}

TEST_CASE("a message whose tokens stop short or announce more is not a whole reply", "[reply_peek]") {
    CHECK_FALSE(is_whole_tds_reply(packet(0x04, 0x01, 0)));   // no tokens at all
    std::vector<unsigned char> three{0x04, 0x01, 0, 11, 0, 51, 1, 0, 0xFD, 0, 0};
    CHECK_FALSE(is_whole_tds_reply(three));  // a DONE's first bytes only
    CHECK_FALSE(is_whole_tds_reply(packet(0x04, 0x01, 20)));  // rows, no DONE
    CHECK_FALSE(is_whole_tds_reply(ending_in_done(packet(0x04, 0x01, 20), 0x0001)));        // DONE_MORE
    CHECK_FALSE(is_whole_tds_reply(ending_in_done(packet(0x04, 0x01, 20), 0x0011)));        // COUNT | MORE
    CHECK_FALSE(is_whole_tds_reply(ending_in_done(packet(0x04, 0x01, 20), 0x0000, 0xFF)));  // DONEINPROC
    auto cut = ending_in_done(packet(0x04, 0x01, 20));
    cut.pop_back();  // the DONE's last byte missing: the packet length now lies
    cut[3] = static_cast<unsigned char>(cut.size());
    CHECK_FALSE(is_whole_tds_reply(cut));
}

TEST_CASE("partial, foreign or trailing bytes are not a whole reply", "[reply_peek]") {
    CHECK_FALSE(is_whole_tds_reply({}));
    const auto whole = ending_in_done(packet(0x04, 0x01, 20));
    CHECK_FALSE(is_whole_tds_reply(std::span(whole.data(), 5)));               // header cut
    CHECK_FALSE(is_whole_tds_reply(std::span(whole.data(), whole.size() - 1)));  // payload cut
    CHECK_FALSE(is_whole_tds_reply(ending_in_done(packet(0x04, 0x00, 20))));  // no EOM yet
    CHECK_FALSE(is_whole_tds_reply(ending_in_done(joined({packet(0x04, 0x00, 20), packet(0x04, 0x00, 20)}))));
    CHECK_FALSE(is_whole_tds_reply(packet(0x17, 0x03, 20)));  // a TLS application-data record
    CHECK_FALSE(is_whole_tds_reply(packet(0x12, 0x01, 20)));  // not a server message type
    CHECK_FALSE(is_whole_tds_reply(joined({whole, ending_in_done(packet(0x04, 0x01, 20))})));  // a second message
    auto short_length = whole;
    short_length[3] = 4;  // shorter than its own header
    CHECK_FALSE(is_whole_tds_reply(short_length));
}

TEST_CASE("a buffered reply is read without a worker, then sends may go inline", "[tdsd][reply_peek]") {
    pool_test::tdsd_process server;
    auto opened = tds_pool::connection::open(server.target(), {});
    REQUIRE(opened);
    auto& conn = *opened.value();
    const tds_pool::query select{"SELECT id, name FROM items WHERE id <= @n ORDER BY id",
                                 {{"n", tds_pool::param_type::int32, std::int64_t{40}}}, {}};
    CHECK_FALSE(conn.can_send_without_blocking(select));  // nothing read inline yet
    REQUIRE_FALSE(conn.send_request(select, 5s));
    REQUIRE(wait_for_whole_reply(conn));
    auto rows = conn.read_buffered_reply();
    REQUIRE(rows);
    CHECK(rows->sets.at(0).rows.size() == 40);
    CHECK_FALSE(conn.reply_buffered());  // consumed

    REQUIRE(conn.can_send_without_blocking(select));
    tds_pool::db_error error;
    REQUIRE(conn.send_request_nonblocking(select, 5s, error) == tds_pool::connection::step::done);
    REQUIRE(wait_for_whole_reply(conn));
    REQUIRE(conn.read_buffered_reply());

    const tds_pool::query huge{std::string(20000, ' ') + "SELECT 1", {}, {}};
    CHECK_FALSE(conn.can_send_without_blocking(huge));
}

TEST_CASE("inline round trips in a row stay inline and each reads its own reply", "[tdsd][reply_peek]") {
    // The send queue is looked at only when the requests sent inline since it was last
    // seen empty could fill a quarter of the send buffer: many requests in a row cross
    // that bound several times.
    pool_test::tdsd_process server;
    auto opened = tds_pool::connection::open(server.target(), {});
    REQUIRE(opened);
    auto& conn = *opened.value();
    auto by_id = [](std::int64_t n) {
        return tds_pool::query{"SELECT id, name FROM items WHERE id = @n",
                               {{"n", tds_pool::param_type::int32, n}}, {}};
    };
    REQUIRE_FALSE(conn.send_request(by_id(1), 5s));
    REQUIRE(wait_for_whole_reply(conn));
    REQUIRE(conn.read_buffered_reply());
    const auto saved_before = tds_pool::detail::socket_calls_saved();
    for (std::int64_t n = 2; n <= 48; ++n) {
        const auto q = by_id(n);
        REQUIRE(conn.can_send_without_blocking(q));
        tds_pool::db_error error;
        REQUIRE(conn.send_request_nonblocking(q, 5s, error) == tds_pool::connection::step::done);
        REQUIRE(wait_for_whole_reply(conn));
        const auto rows = conn.read_buffered_reply();
        REQUIRE(rows);
        REQUIRE(rows->sets.at(0).rows.size() == 1);
        CHECK(std::get<std::int64_t>(rows->sets.at(0).rows.at(0).at(0)) == n);
    }
    // libsybdb's socket calls reach socket_shortcut.cpp: per round trip its poll before
    // the write, the cork toggled around the flush, and a poll and a recv for the reply
    // packet's header and again for its body are answered without the kernel.
    CHECK(tds_pool::detail::socket_calls_saved() - saved_before >= 47 * 7);
    // A request sent the blocking way leaves the bound unknown: the next inline send asks
    // the kernel again, and still goes.
    REQUIRE_FALSE(conn.send_request(by_id(49), 5s));
    REQUIRE(wait_for_whole_reply(conn));
    REQUIRE(conn.read_buffered_reply());
    CHECK(conn.can_send_without_blocking(by_id(50)));
}

TEST_CASE("a failed buffered reply is finished by the blocking clean-up", "[tdsd][reply_peek]") {
    pool_test::tdsd_process server;
    auto opened = tds_pool::connection::open(server.target(), {});
    REQUIRE(opened);
    auto& conn = *opened.value();
    REQUIRE_FALSE(conn.send_request({"SELECT * FROM no_such_table", {}, {}}, 5s));
    REQUIRE(wait_for_whole_reply(conn));
    REQUIRE_FALSE(conn.read_buffered_reply());
    const auto error = conn.finish_failed_step();
    CHECK(error.code == tds_pool::errc::sql_error);
    CHECK_FALSE(conn.unsafe_reason());
    CHECK_FALSE(conn.can_send_without_blocking({"SELECT 1", {}, {}}));
    auto next = conn.execute({"SELECT 5", {}, {}}, 5s);
    REQUIRE(next);
    CHECK(std::get<std::int64_t>(next.value().sets.at(0).rows.at(0).at(0)) == 5);
    // The failed reply was taken off the socket whole and read from memory: the next
    // requests get their own replies.
    for (std::int64_t n = 6; n <= 8; ++n) {
        auto again = conn.execute({"SELECT @n", {{"n", tds_pool::param_type::int32, n}}, {}}, 5s);
        REQUIRE(again);
        CHECK(std::get<std::int64_t>(again.value().sets.at(0).rows.at(0).at(0)) == n);
    }
}

namespace {

/// The UTF-16 bytes of `text` (ASCII), as a query's text travels in a reply's tokens.
std::vector<unsigned char> utf16(std::string_view text) {
    std::vector<unsigned char> out;
    for (char c : text) out.insert(out.end(), {static_cast<unsigned char>(c), 0});
    return out;
}

/// A TCP proxy to a tdsd that lies in one way: a reply message containing `marker` (in
/// UTF-16) loses its end-of-message bit and gains one more packet holding only a final
/// DONE. The message is still framed whole and ends in a final DONE, but its tokens end
/// one packet before the framing does: db-lib stops at the real DONE.
class lying_proxy {
public:
    lying_proxy(std::uint16_t upstream_port, std::string_view marker)
        : upstream_port_(upstream_port), marker_(utf16(marker)) {
        listener_ = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        REQUIRE(::bind(listener_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
        REQUIRE(::listen(listener_, 4) == 0);
        socklen_t size = sizeof addr;
        REQUIRE(::getsockname(listener_, reinterpret_cast<sockaddr*>(&addr), &size) == 0);
        port_ = ntohs(addr.sin_port);
        acceptor_ = std::thread([this] { accept_one(); });
    }
    ~lying_proxy() {
        ::shutdown(listener_, SHUT_RDWR);
        for (int fd : {client_.load(), upstream_.load()}) {
            if (fd >= 0) ::shutdown(fd, SHUT_RDWR);
        }
        acceptor_.join();
        for (auto& t : pumps_) t.join();
        for (int fd : {listener_, client_.load(), upstream_.load()}) {
            if (fd >= 0) ::close(fd);
        }
    }
    std::uint16_t port() const { return port_; }

private:
    void accept_one() {
        const int client = ::accept(listener_, nullptr, nullptr);
        if (client < 0) return;
        const int upstream = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        addr.sin_port = htons(upstream_port_);
        client_ = client;
        upstream_ = upstream;
        if (::connect(upstream, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) return;
        pumps_.emplace_back([client, upstream] { copy_all(client, upstream); });
        pumps_.emplace_back([this, client, upstream] { relay_replies(upstream, client); });
    }

    static bool send_all(int fd, const unsigned char* data, std::size_t size) {
        while (size > 0) {
            const auto sent = ::send(fd, data, size, MSG_NOSIGNAL);
            if (sent <= 0) return false;
            data += sent;
            size -= static_cast<std::size_t>(sent);
        }
        return true;
    }

    static void copy_all(int from, int to) {
        std::array<unsigned char, 65536> buffer;
        for (;;) {
            const auto got = ::recv(from, buffer.data(), buffer.size(), 0);
            if (got <= 0 || !send_all(to, buffer.data(), static_cast<std::size_t>(got))) break;
        }
        ::shutdown(to, SHUT_WR);
    }

    /// Passes whole messages on, the marked ones with their lie.
    void relay_replies(int from, int to) {
        std::vector<unsigned char> pending;
        std::vector<unsigned char> message;
        std::array<unsigned char, 65536> buffer;
        for (;;) {
            const auto got = ::recv(from, buffer.data(), buffer.size(), 0);
            if (got <= 0) break;
            pending.insert(pending.end(), buffer.begin(), buffer.begin() + got);
            while (pending.size() >= 8) {
                const std::size_t length = std::size_t{pending[2]} << 8 | pending[3];
                if (pending.size() < length) break;
                const bool last = (pending[1] & 0x01) != 0;
                message.insert(message.end(), pending.begin(), pending.begin() + static_cast<std::ptrdiff_t>(length));
                pending.erase(pending.begin(), pending.begin() + static_cast<std::ptrdiff_t>(length));
                if (!last) continue;
                if (std::search(message.begin(), message.end(), marker_.begin(), marker_.end()) != message.end()) {
                    add_lie(message);
                }
                if (!send_all(to, message.data(), message.size())) return;
                message.clear();
            }
        }
        ::shutdown(to, SHUT_WR);
    }

    static void add_lie(std::vector<unsigned char>& message) {
        std::size_t last = 0;
        for (std::size_t at = 0; at < message.size(); at += std::size_t{message[at + 2]} << 8 | message[at + 3]) {
            last = at;
        }
        message[last + 1] &= 0xFE;  // the real last packet no longer ends the message
        const unsigned char extra[8 + 13] = {0x04, 0x01, 0, 21, 0, 0, 1, 0, 0xFD, 0, 0, 0xC1, 0, 0, 0, 0, 0, 0, 0, 0, 0};
        message.insert(message.end(), std::begin(extra), std::end(extra));
    }

    std::uint16_t upstream_port_;
    std::vector<unsigned char> marker_;
    int listener_ = -1;
    std::uint16_t port_ = 0;
    std::atomic<int> client_{-1};
    std::atomic<int> upstream_{-1};
    std::thread acceptor_;
    std::vector<std::thread> pumps_;
};

}  // namespace

TEST_CASE("a reply whose tokens end before its framing does costs the connection, never a misread",
          "[tdsd][reply_peek]") {
    // db-lib stops at the real DONE and never reads the extra packet, which was taken off
    // the socket with the rest: the connection is discarded and its socket shut down, so
    // no later request reads a reply that is not its own.
    pool_test::tdsd_process server;
    lying_proxy proxy(server.port(), "mark_lie");
    auto target = server.target();
    target.port = proxy.port();
    auto opened = tds_pool::connection::open(target, {});
    REQUIRE(opened);
    auto& conn = *opened.value();
    REQUIRE_FALSE(conn.send_request({"SELECT 'mark_lie' AS m", {}, {}}, 5s));
    REQUIRE(wait_for_whole_reply(conn));
    const auto rows = conn.read_buffered_reply();
    REQUIRE(rows);
    CHECK(std::get<std::string>(rows->sets.at(0).rows.at(0).at(0)) == "mark_lie");
    CHECK(conn.unsafe_reason() == tds_pool::close_reason::broken);
    CHECK_FALSE(conn.can_send_without_blocking({"SELECT 5", {}, {}}));
    auto next = conn.execute({"SELECT 5", {}, {}}, 5s);
    CHECK_FALSE(next);
}
