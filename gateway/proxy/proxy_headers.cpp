#include "gateway/proxy/proxy_headers.hpp"

#include <cctype>
#include <vector>

#include <boost/beast/core/string.hpp>
#include <boost/beast/http/rfc7230.hpp>

#include "gateway/http/response_headers.hpp"

namespace gateway {

namespace {

/// True when a Connection field lists `token` (case-insensitive).
bool connection_has(const http::fields& fields, std::string_view token) {
    const auto [first, last] = fields.equal_range(http::field::connection);
    for (auto it = first; it != last; ++it) {
        for (const auto& item : http::token_list{it->value()}) {
            if (beast::iequals(item, token)) return true;
        }
    }
    return false;
}

/// Comma-joined values of every `name` field, or empty.
std::string joined_values(const http::fields& fields, std::string_view name) {
    std::string out;
    const auto [first, last] = fields.equal_range(name);
    for (auto it = first; it != last; ++it) {
        if (!out.empty()) out += ", ";
        out += std::string_view(it->value());
    }
    return out;
}

/// True when an Upgrade field names WebSocket (as its only protocol or among others).
bool names_websocket(const http::fields& fields) {
    const auto [first, last] = fields.equal_range(http::field::upgrade);
    for (auto it = first; it != last; ++it) {
        for (const auto& item : http::token_list{it->value()}) {
            if (beast::iequals(item, "websocket")) return true;
        }
    }
    return false;
}

/// Fields a Connection list may not remove: without them the message's end, or the
/// server it is for, would be decided by the peer instead of the gateway.
bool is_end_to_end_only(std::string_view name) noexcept {
    return beast::iequals(name, "content-length") || beast::iequals(name, "transfer-encoding") ||
           beast::iequals(name, "host");
}

/// True for a folded field name (see folded_name) the gateway sets or trusts itself.
bool is_gateway_owned(std::string_view folded) noexcept {
    constexpr std::string_view forwarded_prefix = "x-forwarded-";
    return folded == "x-company-code" || folded == "forwarded" || folded == "x-real-ip" ||
           folded == "x-request-id" || folded.substr(0, forwarded_prefix.size()) == forwarded_prefix;
}

}  // namespace

std::string folded_name(std::string_view name) {
    std::string out(name);
    for (char& c : out) {
        c = c == '_' ? '-' : static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    return out;
}

void remove_hop_by_hop(http::fields& fields, bool keep_upgrade) {
    std::vector<std::string> names;
    const auto [first, last] = fields.equal_range(http::field::connection);
    for (auto it = first; it != last; ++it) {
        for (const auto& item : http::token_list{it->value()}) {
            if (keep_upgrade && beast::iequals(item, "upgrade")) continue;
            // Connection may drop optional fields only: a message's framing and its
            // Host are the gateway's to write, whatever a peer lists.
            if (is_end_to_end_only(item)) continue;
            names.emplace_back(item);
        }
    }
    for (const auto& field : fields) {
        const std::string_view name = field.name_string();
        if (name.size() >= 6 && beast::iequals(name.substr(0, 6), "proxy-")) {
            names.emplace_back(name);
        }
    }
    for (const auto& name : names) fields.erase(name);
    fields.erase(http::field::connection);
    fields.erase(http::field::keep_alive);
    fields.erase(http::field::te);
    fields.erase(http::field::trailer);
    fields.erase(http::field::transfer_encoding);
    fields.erase("HTTP2-Settings");  // hop-by-hop by definition (RFC 9113 3.2.1, h2c)
    if (!keep_upgrade) fields.erase(http::field::upgrade);
}

void remove_gateway_owned(http::fields& fields, std::string_view tenant_header) {
    const std::string folded_tenant_header = folded_name(tenant_header);
    std::vector<std::string> names;
    for (const auto& field : fields) {
        const std::string folded = folded_name(field.name_string());
        if (is_gateway_owned(folded) || folded == folded_tenant_header) {
            names.emplace_back(field.name_string());
        }
    }
    for (const auto& name : names) fields.erase(name);
}

void set_body_framing(http::fields& fields, const body_framing& framing) {
    fields.erase(http::field::content_length);
    fields.erase(http::field::transfer_encoding);
    if (framing.chunked) {
        fields.set(http::field::transfer_encoding, "chunked");
    } else if (framing.length) {
        fields.set(http::field::content_length, std::to_string(*framing.length));
    }
}

bool is_upgrade_request(const http::request_header<>& header) {
    return header.version() >= 11 && names_websocket(header) && connection_has(header, "upgrade");
}

bool switches_to_websocket(const http::response_header<>& header) {
    // Exactly the one protocol asked for: "websocket, h2c" is not a WebSocket switch.
    std::size_t protocols = 0;
    const auto [first, last] = header.equal_range(http::field::upgrade);
    for (auto it = first; it != last; ++it) {
        for (const auto& item : http::token_list{it->value()}) {
            if (!beast::iequals(item, "websocket") || ++protocols > 1) return false;
        }
    }
    return protocols == 1 && connection_has(header, "upgrade");
}

std::string upstream_target(std::string_view target, std::string_view strip_prefix,
                            std::string_view base_path) {
    while (!strip_prefix.empty() && strip_prefix.back() == '/') strip_prefix.remove_suffix(1);
    if (!strip_prefix.empty() && target.substr(0, strip_prefix.size()) == strip_prefix) {
        const std::string_view rest = target.substr(strip_prefix.size());
        if (rest.empty() || rest.front() == '/' || rest.front() == '?') target = rest;
    }
    while (!base_path.empty() && base_path.back() == '/') base_path.remove_suffix(1);
    std::string out(base_path);
    if (target.empty() || target.front() != '/') out += '/';
    out += target;
    return out;
}

void prepare_upstream_request(http::request_header<>& header, const forward_facts& facts,
                              const body_framing& framing, bool upgrade) {
    const std::string client_host(header[http::field::host]);
    // A chain of addresses is passed on only from a trusted proxy; anybody else's
    // X-Forwarded-For is the client's own claim.
    std::string forwarded_for =
        facts.trusted_peer ? joined_values(header, "X-Forwarded-For") : std::string();
    const std::string forwarded = facts.trusted_peer ? joined_values(header, "Forwarded") : std::string();
    std::string forwarded_host = facts.trusted_peer ? joined_values(header, "X-Forwarded-Host") : std::string();
    if (forwarded_host.empty()) forwarded_host = client_host;
    remove_hop_by_hop(header, upgrade);
    remove_gateway_owned(header, facts.tenant_header);
    header.version(11);
    if (upgrade) {
        header.set(http::field::connection, "Upgrade");
        header.set(http::field::upgrade, "websocket");  // not the other protocols listed beside it
    }
    set_body_framing(header, framing);
    // The gateway answers "Expect: 100-continue" itself before relaying the body.
    header.erase(http::field::expect);
    if (!facts.preserve_host) header.set(http::field::host, facts.upstream_authority);

    if (!forwarded_for.empty()) forwarded_for += ", ";
    forwarded_for += facts.peer_ip;
    header.set("X-Forwarded-For", forwarded_for);
    header.set("X-Real-IP", facts.client_ip);
    header.set("X-Forwarded-Proto", facts.proto.empty() ? std::string_view("http") : facts.proto);
    if (!forwarded_host.empty()) header.set("X-Forwarded-Host", forwarded_host);
    if (!forwarded.empty()) header.set(http::field::forwarded, forwarded);
    header.set("X-Request-Id", facts.request_id);

    // Only the tenant the gateway resolved reaches the upstream.
    if (facts.tenant) header.set("X-Company-Code", *facts.tenant);
}

void prepare_client_response(http::response_header<>& header, unsigned client_version,
                             const body_framing& framing, bool keep_alive,
                             std::string_view request_id) {
    const bool switching = header.result() == http::status::switching_protocols;
    remove_hop_by_hop(header, switching);
    header.version(client_version);
    ensure_date(header);
    header.set("X-Request-Id", request_id);
    if (switching) {
        header.set(http::field::connection, "Upgrade");
        set_body_framing(header, {});  // a 101 has no body to frame (RFC 9110 8.6)
        return;
    }
    set_body_framing(header, framing);
    // Connection was removed above; say only what differs from the version's default.
    if (client_version >= 11 && !keep_alive) header.set(http::field::connection, "close");
    if (client_version < 11 && keep_alive) header.set(http::field::connection, "keep-alive");
}

}  // namespace gateway
