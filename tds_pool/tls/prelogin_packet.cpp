#include "tds_pool/tls/prelogin_packet.hpp"

#include <algorithm>

namespace tds_pool::tls {
namespace {

constexpr std::uint8_t option_version = 0x00;
constexpr std::uint8_t option_encryption = 0x01;
constexpr std::uint8_t option_instance = 0x02;
constexpr std::uint8_t option_thread_id = 0x03;
constexpr std::uint8_t option_mars = 0x04;
constexpr std::uint8_t option_terminator = 0xFF;
constexpr std::size_t option_entry_size = 5;  // token, offset (2), length (2)

void put_u16_be(std::vector<std::uint8_t>& out, std::size_t value) {
    out.push_back(static_cast<std::uint8_t>((value >> 8) & 0xFF));
    out.push_back(static_cast<std::uint8_t>(value & 0xFF));
}

std::size_t u16_be(std::span<const std::uint8_t> bytes, std::size_t at) {
    return (static_cast<std::size_t>(bytes[at]) << 8) | bytes[at + 1];
}

void append_header(std::vector<std::uint8_t>& out, bool last, std::size_t length, std::uint8_t id) {
    out.push_back(packet_type_prelogin);
    out.push_back(last ? packet_status_end_of_message : 0);
    put_u16_be(out, length);
    put_u16_be(out, 0);  // SPID
    out.push_back(id);
    out.push_back(0);  // window
}

}  // namespace

std::optional<packet_header> parse_header(std::span<const std::uint8_t, packet_header_size> bytes) {
    packet_header header{bytes[0], bytes[1], static_cast<std::uint16_t>(u16_be(bytes, 2))};
    if (header.length < packet_header_size || header.length > max_packet_size) {
        return std::nullopt;
    }
    return header;
}

std::vector<std::uint8_t> make_prelogin(encryption_byte encryption) {
    struct option {
        std::uint8_t token;
        std::vector<std::uint8_t> data;
    };
    const std::vector<option> options = {
        {option_version, {0x0B, 0x00, 0x00, 0x00, 0x00, 0x00}},  // client version: informative
        {option_encryption, {static_cast<std::uint8_t>(encryption)}},
        {option_instance, {0x00}},                 // the default instance
        {option_thread_id, {0x00, 0x00, 0x00, 0x00}},
        {option_mars, {0x00}},
    };
    std::vector<std::uint8_t> payload;
    std::size_t data_offset = options.size() * option_entry_size + 1;
    for (const option& o : options) {
        payload.push_back(o.token);
        put_u16_be(payload, data_offset);
        put_u16_be(payload, o.data.size());
        data_offset += o.data.size();
    }
    payload.push_back(option_terminator);
    for (const option& o : options) payload.insert(payload.end(), o.data.begin(), o.data.end());
    return wrap_in_prelogin_packets(payload);
}

std::optional<encryption_option> find_encryption(std::span<const std::uint8_t> payload) {
    for (std::size_t at = 0; at < payload.size(); at += option_entry_size) {
        if (payload[at] == option_terminator) {
            return std::nullopt;
        }
        if (at + option_entry_size > payload.size()) {
            return std::nullopt;
        }
        if (payload[at] != option_encryption) {
            continue;
        }
        const std::size_t offset = u16_be(payload, at + 1);
        const std::size_t length = u16_be(payload, at + 3);
        if (length < 1 || offset >= payload.size()) {
            return std::nullopt;
        }
        return encryption_option{static_cast<encryption_byte>(payload[offset]), offset};
    }
    return std::nullopt;
}

std::vector<std::uint8_t> wrap_in_prelogin_packets(std::span<const std::uint8_t> payload,
                                                   std::size_t packet_size) {
    const std::size_t chunk = packet_size - packet_header_size;
    std::vector<std::uint8_t> out;
    std::uint8_t id = 1;
    std::size_t at = 0;
    do {
        const std::size_t n = std::min(chunk, payload.size() - at);
        const bool last = at + n == payload.size();
        append_header(out, last, n + packet_header_size, id++);
        out.insert(out.end(), payload.begin() + static_cast<std::ptrdiff_t>(at),
                   payload.begin() + static_cast<std::ptrdiff_t>(at + n));
        at += n;
    } while (at < payload.size());
    return out;
}

}  // namespace tds_pool::tls
