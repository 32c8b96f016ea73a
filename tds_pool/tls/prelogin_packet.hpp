#pragma once
// The few pieces of TDS framing the TLS bridge needs before a session is encrypted:
// building the gateway's own PRELOGIN, reading the ENCRYPTION option of the server's
// answer, patching that option in the copy handed to FreeTDS, and wrapping TLS handshake
// records into PRELOGIN packets (MS-TDS 2.2.6.5).

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace tds_pool::tls {

/// PRELOGIN ENCRYPTION values.
enum class encryption_byte : std::uint8_t { off = 0x00, on = 0x01, not_supported = 0x02, required = 0x03 };

constexpr std::size_t packet_header_size = 8;
constexpr std::uint8_t packet_type_prelogin = 0x12;
constexpr std::uint8_t packet_status_end_of_message = 0x01;
/// Larger than any PRELOGIN or handshake packet a server sends with the default 4096
/// packet size; a longer one is a protocol error, not a reason to allocate.
constexpr std::size_t max_packet_size = 32 * 1024;

/// The 8-byte header of a TDS packet.
struct packet_header {
    std::uint8_t type = 0;
    std::uint8_t status = 0;
    std::uint16_t length = 0;  ///< header included

    bool end_of_message() const { return (status & packet_status_end_of_message) != 0; }
    std::size_t payload_size() const { return length - packet_header_size; }
};

/// The header at the start of `bytes`; nullopt when its length is impossible.
std::optional<packet_header> parse_header(std::span<const std::uint8_t, packet_header_size> bytes);

/// A complete PRELOGIN packet asking for `encryption` (VERSION, ENCRYPTION, INSTOPT,
/// THREADID, MARS off).
std::vector<std::uint8_t> make_prelogin(encryption_byte encryption);

/// The ENCRYPTION option's value and its offset in a PRELOGIN payload; nullopt when the
/// payload is malformed or has no such option.
struct encryption_option {
    encryption_byte value;
    std::size_t offset;  ///< within the payload
};
std::optional<encryption_option> find_encryption(std::span<const std::uint8_t> payload);

/// `payload` wrapped in PRELOGIN packets of at most `packet_size` bytes each, the last
/// one marked end of message.
std::vector<std::uint8_t> wrap_in_prelogin_packets(std::span<const std::uint8_t> payload,
                                                   std::size_t packet_size = 4096);

}  // namespace tds_pool::tls
