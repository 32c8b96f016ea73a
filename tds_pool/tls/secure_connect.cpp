#include "tds_pool/tls/secure_connect.hpp"

#include <fmt/format.h>

#include "tds_pool/tls/prelogin_packet.hpp"

namespace tds_pool::tls {
namespace {

constexpr std::uint8_t packet_type_reply = 0x04;
// More packets than any real PRELOGIN answer or TLS handshake takes (a handshake flight
// with a long certificate chain is a handful of 4 KiB packets): a server that sends more,
// empty ones say, is not negotiating.
constexpr int max_negotiation_packets = 64;

/// The name the certificate must carry, for messages.
std::string certificate_name(const connection_target& target) {
    return target.tls.host_name_in_certificate.empty() ? target.server : target.tls.host_name_in_certificate;
}

db_error unreachable(const connection_target& target, const std::string& reason) {
    return {errc::tenant_db_unavailable, fmt::format("cannot connect to {}: {}", target.address(), reason)};
}

db_error handshake_failure(const connection_target& target, const std::string& why) {
    db_error error{errc::tls_handshake_failed, fmt::format("TLS with {} failed: {}", target.address(), why)};
    error.reason = "handshake_failed";
    return error;
}

/// The payloads of one message (packets up to end of message), within a size bound.
std::variant<std::vector<std::uint8_t>, std::string> receive_message(deadline_socket& socket, deadline until) {
    std::vector<std::uint8_t> payload;
    for (int count = 0;; ++count) {
        if (count == max_negotiation_packets) {
            return std::string("the server's PRELOGIN answer never ends");
        }
        auto packet = receive_packet(socket, until);
        if (auto* reason = std::get_if<std::string>(&packet)) {
            return *reason;
        }
        const auto& bytes = std::get<std::vector<std::uint8_t>>(packet);
        payload.insert(payload.end(), bytes.begin() + packet_header_size, bytes.end());
        if (payload.size() > max_packet_size) {
            return std::string("the server's PRELOGIN answer is too long");
        }
        if ((bytes[1] & packet_status_end_of_message) != 0) {
            return payload;
        }
    }
}

/// `payload` as one reply packet with ENCRYPTION patched to NOT_SUP at `offset`.
std::vector<std::uint8_t> reply_for_client(std::vector<std::uint8_t> payload, std::size_t offset) {
    payload[offset] = static_cast<std::uint8_t>(encryption_byte::not_supported);
    const std::size_t length = payload.size() + packet_header_size;
    std::vector<std::uint8_t> packet = {packet_type_reply, packet_status_end_of_message,
                                        static_cast<std::uint8_t>(length >> 8),
                                        static_cast<std::uint8_t>(length & 0xFF), 0, 0, 1, 0};
    packet.insert(packet.end(), payload.begin(), payload.end());
    return packet;
}

/// Sends the PRELOGIN asking for encryption and reads the answer; the answer for the
/// client, or the error.
std::variant<std::vector<std::uint8_t>, db_error> negotiate(deadline_socket& socket,
                                                            const connection_target& target, deadline until) {
    if (auto failed = socket.send_all(make_prelogin(encryption_byte::on), until)) {
        return unreachable(target, *failed);
    }
    auto answer = receive_message(socket, until);
    if (auto* reason = std::get_if<std::string>(&answer)) {
        return unreachable(target, *reason);
    }
    auto& payload = std::get<std::vector<std::uint8_t>>(answer);
    const auto encryption = find_encryption(payload);
    if (!encryption) {
        return unreachable(target, "the server's PRELOGIN answer has no ENCRYPTION option");
    }
    if (encryption->value != encryption_byte::on && encryption->value != encryption_byte::required) {
        // Never carry on in clear: the tenant's settings ask for encryption.
        db_error error{errc::tls_required_not_offered,
                       fmt::format("{} does not offer encryption, which this tenant requires "
                                   "(encrypt: true)", target.address())};
        error.reason = "not_offered";
        return error;
    }
    return reply_for_client(std::move(payload), encryption->offset);
}

/// Runs the handshake through PRELOGIN packets; nullopt once it is done.
std::optional<db_error> handshake(deadline_socket& socket, tls_channel& channel,
                                  const connection_target& target, deadline until) {
    for (int received = 0;; ++received) {
        if (received > max_negotiation_packets) {
            return handshake_failure(target, "the server sent more handshake packets than a handshake takes");
        }
        const handshake_step step = channel.advance_handshake();
        const auto output = channel.take_output();
        if (!output.empty()) {
            if (auto failed = socket.send_all(wrap_in_prelogin_packets(output), until); failed && step != handshake_step::failed) {
                return unreachable(target, *failed);
            }
        }
        if (step == handshake_step::done) {
            return std::nullopt;
        }
        if (step == handshake_step::failed) {
            if (channel.certificate_rejected()) {
                db_error error{errc::tls_certificate_rejected,
                               fmt::format("the TLS certificate of {} ({}) was rejected: {}",
                                           certificate_name(target), target.address(), channel.failure_reason())};
                error.reason = channel.rejection_kind();
                return error;
            }
            return handshake_failure(target, channel.failure_reason());
        }
        auto packet = receive_packet(socket, until);
        if (auto* reason = std::get_if<std::string>(&packet)) {
            return handshake_failure(target, *reason);
        }
        const auto& bytes = std::get<std::vector<std::uint8_t>>(packet);
        channel.feed(std::span(bytes).subspan(packet_header_size));
    }
}

}  // namespace

std::variant<secured_server, db_error> secure_connect(const connection_target& target, deadline until) {
    auto channel = tls_channel::create(target.tls, target.server);
    if (auto* reason = std::get_if<std::string>(&channel)) {
        return handshake_failure(target, *reason);
    }
    auto connected = deadline_socket::connect(target.server, target.port, until);
    if (auto* reason = std::get_if<std::string>(&connected)) {
        return unreachable(target, *reason);
    }
    auto& socket = std::get<deadline_socket>(connected);
    auto reply = negotiate(socket, target, until);
    if (auto* error = std::get_if<db_error>(&reply)) {
        return std::move(*error);
    }
    auto& tls = std::get<tls_channel>(channel);
    if (auto failed = handshake(socket, tls, target, until)) {
        return std::move(*failed);
    }
    return secured_server{std::move(socket), std::move(tls), std::move(std::get<std::vector<std::uint8_t>>(reply))};
}

}  // namespace tds_pool::tls
