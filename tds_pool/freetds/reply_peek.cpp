#include "tds_pool/freetds/reply_peek.hpp"

#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <cstdint>

namespace tds_pool::detail {
namespace {

constexpr std::size_t header_size = 8;
constexpr unsigned char reply_type = 0x04;
constexpr unsigned char end_of_message = 0x01;
constexpr std::size_t max_packet_size = 32767;  // TDS caps the negotiated packet size

// A reply's last token: DONE or DONEPROC, status (2 bytes, little-endian), the current
// command (2) and the row count (8, TDS 7.2 and later).
constexpr std::size_t done_size = 13;
constexpr unsigned char done_token = 0xFD;
constexpr unsigned char done_proc_token = 0xFE;
constexpr unsigned done_more = 0x01;

/// The last payload bytes of a message, up to done_size of them, across its packets.
class payload_tail {
public:
    void add(std::span<const unsigned char> payload) noexcept {
        const std::size_t take = std::min(payload.size(), done_size);
        const std::size_t keep = std::min(size_, done_size - take);
        if (size_ > keep) {  // shift the kept bytes to the front (the ranges may overlap)
            std::memmove(bytes_.data(), bytes_.data() + (size_ - keep), keep);
        }
        std::copy(payload.end() - static_cast<std::ptrdiff_t>(take), payload.end(),
                  bytes_.begin() + static_cast<std::ptrdiff_t>(keep));
        size_ = keep + take;
    }

    /// The tail is a DONE or DONEPROC that ends the reply (no more results follow).
    bool is_final_done() const noexcept {
        if (size_ < done_size) return false;
        const unsigned status = bytes_[1] | unsigned{bytes_[2]} << 8;
        return (bytes_[0] == done_token || bytes_[0] == done_proc_token) && (status & done_more) == 0;
    }

private:
    std::array<unsigned char, done_size> bytes_{};
    std::size_t size_ = 0;
};

}  // namespace

bool is_whole_tds_reply(std::span<const unsigned char> bytes) noexcept {
    std::size_t at = 0;
    payload_tail tail;
    while (bytes.size() - at >= header_size) {
        const unsigned char* header = bytes.data() + at;
        const std::size_t length = std::size_t{header[2]} << 8 | header[3];
        if (header[0] != reply_type || length < header_size || length > max_packet_size) {
            return false;  // not plain TDS (an encrypted connection's TLS records, say)
        }
        if (bytes.size() - at < length) {
            return false;  // the packet is still arriving
        }
        tail.add(bytes.subspan(at + header_size, length - header_size));
        at += length;
        if ((header[1] & end_of_message) != 0) {
            // db-lib would wait for more after tokens that stop short or announce more
            return at == bytes.size() && tail.is_final_done();
        }
    }
    return false;
}

namespace {

// Only the I/O threads peek and take, one reply at a time each: a buffer per thread.
thread_local std::array<unsigned char, max_peeked_reply + 1> reply_bytes;

}  // namespace

std::size_t whole_reply_size(int fd) noexcept {
    // One peek of up to one byte more than the largest reply looked at, instead of asking
    // FIONREAD first: a system call less per query. More than the limit is "not whole"
    // (a reply that long pays a copy of the limit, then goes to a worker as before).
    const auto got = ::recv(fd, reply_bytes.data(), reply_bytes.size(), MSG_PEEK | MSG_DONTWAIT);
    if (got <= 0 || static_cast<std::size_t>(got) > max_peeked_reply) {
        return 0;
    }
    const auto size = static_cast<std::size_t>(got);
    return is_whole_tds_reply(std::span(reply_bytes.data(), size)) ? size : 0;
}

std::span<const unsigned char> take_reply(int fd, std::size_t size) noexcept {
    if (size == 0) return {};
    const auto got = ::recv(fd, reply_bytes.data(), std::min(size, max_peeked_reply), MSG_DONTWAIT);
    if (got <= 0) return {};
    return std::span(reply_bytes.data(), static_cast<std::size_t>(got));
}

}  // namespace tds_pool::detail
