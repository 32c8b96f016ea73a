// Fuzz target: tdsd's client side of TDS. The input is a byte stream of packets: each
// message is reassembled with the framing checks of read_message, then parsed the way
// a client session does (PRELOGIN, LOGIN7, SQL batch text, RPC with typed parameters,
// transaction manager requests). Malformed input must end in protocol_error or
// unsupported_request; any other exception is a finding.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "tests/tdsd/login7.hpp"
#include "tests/tdsd/packet.hpp"
#include "tests/tdsd/param_reader.hpp"
#include "tests/tdsd/prelogin.hpp"
#include "tests/tdsd/rpc_request.hpp"
#include "tests/tdsd/transaction_request.hpp"
#include "tests/tdsd/utf16.hpp"
#include "tests/tdsd/wire.hpp"

namespace {

/// The next message of `bytes` (advanced past it); nullopt when the stream ends inside one.
std::optional<tdsd::message> next_message(std::span<const std::uint8_t>& bytes) {
    tdsd::message msg;
    for (bool first = true;; first = false) {
        if (bytes.size() < 8) return std::nullopt;
        const auto header = tdsd::check_packet_header(bytes.first<8>(), msg, first);
        bytes = bytes.subspan(8);
        if (bytes.size() < header.payload_size) return std::nullopt;
        msg.type = header.type;
        if (first && header.reset_connection) msg.reset_connection = true;
        msg.payload.insert(msg.payload.end(), bytes.begin(),
                           bytes.begin() + static_cast<std::ptrdiff_t>(header.payload_size));
        bytes = bytes.subspan(header.payload_size);
        if (header.end_of_message) return msg;
    }
}

/// Parses one message as client_session would.
void parse(const tdsd::message& msg) {
    const std::span<const std::uint8_t> payload(msg.payload);
    switch (msg.type) {
        case tdsd::packet_type::prelogin:
            tdsd::check_prelogin(payload);
            break;
        case tdsd::packet_type::login7:
            (void)tdsd::parse_login7(payload);
            break;
        case tdsd::packet_type::sql_batch: {
            const std::size_t start = tdsd::skip_all_headers(payload);
            if ((payload.size() - start) % 2 == 0) (void)tdsd::utf16le_to_utf8(payload.subspan(start));
            break;
        }
        case tdsd::packet_type::rpc:
            (void)tdsd::parse_rpc(payload);
            break;
        case tdsd::packet_type::transaction_manager:
            (void)tdsd::parse_transaction_request(payload);
            break;
        default:
            break;
    }
}

}  // namespace

/// libFuzzer entry point: one input per call.
extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::span<const std::uint8_t> bytes(data, size);
    try {
        while (auto msg = next_message(bytes)) {
            try {
                parse(*msg);
            } catch (const tdsd::unsupported_request&) {
                // answered with an ERROR, the connection goes on
            }
        }
    } catch (const tdsd::protocol_error&) {
        // the connection is closed
    }
    return 0;
}
