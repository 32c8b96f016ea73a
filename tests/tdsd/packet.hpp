#pragma once
// TDS packet framing: 8-byte headers, multi-packet messages, 4096-byte replies.
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <cstdint>
#include <span>
#include <vector>

namespace tdsd {

namespace asio = boost::asio;

class tls_channel;

/// Packet types tdsd understands (client requests) or sends (reply).
enum class packet_type : std::uint8_t {
  sql_batch = 0x01,
  rpc = 0x03,
  reply = 0x04,
  attention = 0x06,
  transaction_manager = 0x0E,
  login7 = 0x10,
  prelogin = 0x12,
};

/// One complete client message, reassembled from its packets.
struct message {
  packet_type type = packet_type::sql_batch;
  std::vector<std::uint8_t> payload;
  bool reset_connection = false;  // header status 0x08: reset session state first
};

/// Reply packets are split at this size (announced to clients by ENVCHANGE 4).
inline constexpr std::size_t reply_packet_size = 4096;
/// Client messages larger than this are a protocol error (protects memory).
inline constexpr std::size_t max_message_size = 64u << 20;

/// The 8-byte header of one client packet, checked.
struct packet_header {
  packet_type type = packet_type::sql_batch;
  bool end_of_message = false;
  bool reset_connection = false;  // status 0x08
  std::size_t payload_size = 0;   // bytes after the header
};

/// Checks the header of the next packet of `msg` (`first`: its first packet); throws
/// protocol_error on TLS, unknown types, a type change, a length below 8 or a message
/// that would grow past max_message_size.
packet_header check_packet_header(std::span<const std::uint8_t, 8> header, const message& msg,
                                  bool first);

/// A plain socket read through a buffer: one recv usually brings a whole request (header
/// and payload), where exact reads took two. Use it only once nothing else reads the
/// socket (after the handshake): bytes it has buffered are its own.
class buffered_socket {
 public:
  explicit buffered_socket(asio::ip::tcp::socket& socket) : socket_(socket) {}
  /// Fills `into`; throws on socket errors and eof.
  asio::awaitable<void> read_exact(std::span<std::uint8_t> into);

 private:
  static constexpr std::size_t capacity = 16 * 1024;
  asio::ip::tcp::socket& socket_;
  std::vector<std::uint8_t> buffer_;  // allocated on the first read
  std::size_t begin_ = 0;
  std::size_t end_ = 0;
};

/// Reads one client message; throws protocol_error on TLS, unknown types or bad framing.
asio::awaitable<message> read_message(asio::ip::tcp::socket& socket);
/// Reads one client message through `reader`'s buffer.
asio::awaitable<message> read_message(buffered_socket& reader);
/// Reads one client message from inside an established TLS session.
asio::awaitable<message> read_message(tls_channel& tls);

/// Frames a payload into packets of `type`; the last one carries end-of-message unless
/// `end_of_message` is false (a connection dropped mid-result).
std::vector<std::uint8_t> frame_message(packet_type type, std::span<const std::uint8_t> payload,
                                        std::uint16_t spid, bool end_of_message = true);

/// frame_message into `out` (cleared first; its capacity is reused).
void frame_message_into(std::vector<std::uint8_t>& out, packet_type type, std::span<const std::uint8_t> payload,
                        std::uint16_t spid, bool end_of_message = true);

/// frame_reply into `out` (cleared first; its capacity is reused).
inline void frame_reply_into(std::vector<std::uint8_t>& out, std::span<const std::uint8_t> payload,
                             std::uint16_t spid, bool end_of_message = true) {
  frame_message_into(out, packet_type::reply, payload, spid, end_of_message);
}

/// Frames a reply payload into packets of type 0x04 (see frame_message).
std::vector<std::uint8_t> frame_reply(std::span<const std::uint8_t> payload, std::uint16_t spid,
                                      bool end_of_message = true);

}  // namespace tdsd
