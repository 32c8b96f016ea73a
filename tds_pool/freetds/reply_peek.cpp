#include "tds_pool/freetds/reply_peek.hpp"

#include <sys/socket.h>

#include <array>
#include <cstdint>

namespace tds_pool::detail {
namespace {

constexpr std::size_t header_size = 8;
constexpr unsigned char reply_type = 0x04;
constexpr unsigned char end_of_message = 0x01;
constexpr std::size_t max_packet_size = 32767;  // TDS caps the negotiated packet size

}  // namespace

bool is_whole_tds_reply(std::span<const unsigned char> bytes) noexcept {
    std::size_t at = 0;
    while (bytes.size() - at >= header_size) {
        const unsigned char* header = bytes.data() + at;
        const std::size_t length = std::size_t{header[2]} << 8 | header[3];
        if (header[0] != reply_type || length < header_size || length > max_packet_size) {
            return false;  // not plain TDS (an encrypted connection's TLS records, say)
        }
        if (bytes.size() - at < length) {
            return false;  // the packet is still arriving
        }
        at += length;
        if ((header[1] & end_of_message) != 0) {
            return at == bytes.size();
        }
    }
    return false;
}

bool whole_reply_buffered(int fd) noexcept {
    // One peek of up to one byte more than the largest reply looked at, instead of asking
    // FIONREAD first: a system call less per query. More than the limit is "not whole"
    // (a reply that long pays a copy of the limit, then goes to a worker as before).
    // Only the I/O threads call this, one reply at a time each: a buffer per thread.
    thread_local std::array<unsigned char, max_peeked_reply + 1> peeked;
    const auto got = ::recv(fd, peeked.data(), peeked.size(), MSG_PEEK | MSG_DONTWAIT);
    if (got <= 0 || static_cast<std::size_t>(got) > max_peeked_reply) {
        return false;
    }
    return is_whole_tds_reply(std::span(peeked.data(), static_cast<std::size_t>(got)));
}

}  // namespace tds_pool::detail
