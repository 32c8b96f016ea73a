#include "tests/tdsd/packet.hpp"

#include <boost/asio/buffer.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <fmt/format.h>

#include <algorithm>

#include "tests/tdsd/tls_channel.hpp"
#include "tests/tdsd/wire.hpp"

namespace tdsd {
namespace {

constexpr std::uint8_t status_end_of_message = 0x01;
constexpr std::uint8_t status_reset_connection = 0x08;  // 0x10 (keep the transaction) needs nothing
constexpr std::uint8_t tls_handshake_record = 0x16;

bool is_client_type(std::uint8_t t) {
  switch (static_cast<packet_type>(t)) {
    case packet_type::sql_batch:
    case packet_type::rpc:
    case packet_type::attention:
    case packet_type::transaction_manager:
    case packet_type::login7:
    case packet_type::prelogin:
      return true;
    default:
      return false;
  }
}

// The plain path returns Asio's own awaitable: no coroutine frame of ours per read.
auto read_exact(asio::ip::tcp::socket& socket, std::span<std::uint8_t> into) {
  return asio::async_read(socket, asio::buffer(into.data(), into.size()), asio::use_awaitable);
}

asio::awaitable<void> read_exact(tls_channel& tls, std::span<std::uint8_t> into) {
  return tls.read_exact(into);
}

asio::awaitable<void> read_exact(buffered_socket& reader, std::span<std::uint8_t> into) {
  return reader.read_exact(into);
}

template <typename Stream>
asio::awaitable<message> read_message_from(Stream& stream) {
  message msg;
  bool first = true;
  for (;;) {
    std::uint8_t header[8];
    co_await read_exact(stream, header);
    const packet_header checked = check_packet_header(header, msg, first);
    msg.type = checked.type;
    if (first && checked.reset_connection) msg.reset_connection = true;
    const std::size_t old = msg.payload.size();
    msg.payload.resize(old + checked.payload_size);
    if (checked.payload_size > 0) {
      co_await read_exact(stream, std::span<std::uint8_t>(msg.payload.data() + old, checked.payload_size));
    }
    first = false;
    if (checked.end_of_message) co_return msg;
  }
}

}  // namespace

packet_header check_packet_header(std::span<const std::uint8_t, 8> header, const message& msg,
                                  bool first) {
  if (first && header[0] == tls_handshake_record) {
    throw protocol_error("TLS ClientHello before PRELOGIN: TDS 8 (strict encryption) is not supported");
  }
  if (!is_client_type(header[0])) {
    throw protocol_error(fmt::format("unknown packet type 0x{:02x}", header[0]));
  }
  if (!first && header[0] != static_cast<std::uint8_t>(msg.type)) {
    throw protocol_error("packet type changed inside a message");
  }
  const std::size_t length = (static_cast<std::size_t>(header[2]) << 8) | header[3];
  if (length < 8) throw protocol_error(fmt::format("packet length {} below header size", length));
  if (msg.payload.size() + length - 8 > max_message_size) {
    throw protocol_error("message larger than 64 MiB");
  }
  return packet_header{static_cast<packet_type>(header[0]), (header[1] & status_end_of_message) != 0,
                       (header[1] & status_reset_connection) != 0, length - 8};
}

asio::awaitable<message> read_message(asio::ip::tcp::socket& socket) { return read_message_from(socket); }

asio::awaitable<message> read_message(tls_channel& tls) { return read_message_from(tls); }

asio::awaitable<message> read_message(buffered_socket& reader) { return read_message_from(reader); }

asio::awaitable<void> buffered_socket::read_exact(std::span<std::uint8_t> into) {
  std::size_t done = 0;
  for (;;) {
    const std::size_t n = std::min(end_ - begin_, into.size() - done);
    std::copy_n(buffer_.data() + begin_, n, into.data() + done);
    begin_ += n;
    done += n;
    if (done == into.size()) co_return;
    begin_ = end_ = 0;  // the buffer is empty here
    const std::size_t missing = into.size() - done;
    if (missing >= capacity) {  // a large message: straight into place
      co_await asio::async_read(socket_, asio::buffer(into.data() + done, missing), asio::use_awaitable);
      co_return;
    }
    if (buffer_.empty()) buffer_.resize(capacity);
    end_ = co_await socket_.async_read_some(asio::buffer(buffer_), asio::use_awaitable);
  }
}

std::vector<std::uint8_t> frame_reply(std::span<const std::uint8_t> payload, std::uint16_t spid,
                                      bool end_of_message) {
  return frame_message(packet_type::reply, payload, spid, end_of_message);
}

std::vector<std::uint8_t> frame_message(packet_type type, std::span<const std::uint8_t> payload,
                                        std::uint16_t spid, bool end_of_message) {
  std::vector<std::uint8_t> out;
  frame_message_into(out, type, payload, spid, end_of_message);
  return out;
}

void frame_message_into(std::vector<std::uint8_t>& out, packet_type type, std::span<const std::uint8_t> payload,
                        std::uint16_t spid, bool end_of_message) {
  constexpr std::size_t body = reply_packet_size - 8;
  out.clear();
  out.reserve(payload.size() + (payload.size() / body + 1) * 8);
  std::size_t offset = 0;
  std::uint8_t packet_id = 1;
  do {
    const std::size_t n = std::min(body, payload.size() - offset);
    const bool last = offset + n == payload.size();
    const std::size_t length = n + 8;
    out.push_back(static_cast<std::uint8_t>(type));
    out.push_back(last && end_of_message ? status_end_of_message : 0);
    out.push_back(static_cast<std::uint8_t>(length >> 8));
    out.push_back(static_cast<std::uint8_t>(length));
    out.push_back(static_cast<std::uint8_t>(spid >> 8));
    out.push_back(static_cast<std::uint8_t>(spid));
    out.push_back(packet_id++);
    out.push_back(0);
    out.insert(out.end(), payload.begin() + static_cast<std::ptrdiff_t>(offset),
               payload.begin() + static_cast<std::ptrdiff_t>(offset + n));
    offset += n;
  } while (offset < payload.size());
}

}  // namespace tdsd
