// Reading a reply on the I/O thread: only when the whole reply is already buffered in
// plain TDS framing; a failure's clean-up stays on the blocking path.
#include <catch2/catch.hpp>

#include <poll.h>

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
    CHECK_FALSE(conn.can_send_without_blocking({"SELECT 1", {}, {}}));
    auto next = conn.execute({"SELECT 5", {}, {}}, 5s);
    REQUIRE(next);
    CHECK(std::get<std::int64_t>(next.value().sets.at(0).rows.at(0).at(0)) == 5);
}

TEST_CASE("a batch failing before its last result, read inline, leaves the connection usable",
          "[tdsd][reply_peek]") {
    // db-lib stops at the failure; the rest of the reply, already taken off the socket,
    // is read to its end before the shortcut ends, so nothing is lost from the stream.
    pool_test::tdsd_process server;
    auto opened = tds_pool::connection::open(server.target(), {});
    REQUIRE(opened);
    auto& conn = *opened.value();
    REQUIRE_FALSE(conn.send_request({"SELECT * FROM no_such_table; SELECT 2 AS two", {}, {}}, 5s));
    REQUIRE(wait_for_whole_reply(conn));
    REQUIRE_FALSE(conn.read_buffered_reply());
    CHECK(conn.finish_failed_step().code == tds_pool::errc::sql_error);
    CHECK_FALSE(conn.unsafe_reason());
    for (std::int64_t n = 5; n <= 7; ++n) {
        auto next = conn.execute({"SELECT @n", {{"n", tds_pool::param_type::int32, n}}, {}}, 5s);
        REQUIRE(next);
        CHECK(std::get<std::int64_t>(next.value().sets.at(0).rows.at(0).at(0)) == n);
    }
}
