#pragma once
// Header rewriting for proxied messages (RFC 9110 §7.6): hop-by-hop fields stop at the
// gateway, forwarding fields are added, and the tenant header is the gateway's word,
// never the client's. Pure functions over Beast headers, testable without sockets.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "gateway/http/http_types.hpp"

namespace gateway {

/// What the gateway knows about a request that the upstream should learn.
struct forward_facts {
    std::string_view peer_ip;              ///< the TCP peer, appended to X-Forwarded-For
    std::string_view client_ip;            ///< the real client (peer_ip unless via a trusted proxy)
    bool trusted_peer = false;             ///< the peer is a trusted proxy: its forwarding fields pass
    std::string_view proto;                ///< X-Forwarded-Proto sent on ("http" when empty)
    std::optional<std::string> tenant;     ///< resolved company code, if any
    std::string_view request_id;           ///< sent as X-Request-Id
    std::string_view tenant_header;        ///< configured tenant header (client copies removed)
    bool preserve_host = true;             ///< false: Host becomes `upstream_authority`
    std::string_view upstream_authority;   ///< "host:port" of the chosen server
};

/// How a message's body is delimited, decided by the gateway from what it parsed.
struct body_framing {
    bool chunked = false;                 ///< Transfer-Encoding: chunked
    std::optional<std::uint64_t> length;  ///< Content-Length when not chunked; none: no body
};

/// Removes the hop-by-hop fields: Connection and every field it names (but never
/// Content-Length, Transfer-Encoding framing or Host), Keep-Alive, Proxy-*, TE, Trailer,
/// Transfer-Encoding, HTTP2-Settings (named in Connection or not), and Upgrade unless
/// `keep_upgrade`.
void remove_hop_by_hop(http::fields& fields, bool keep_upgrade);

/// A field name with case folded and `_` read as `-`: the name CGI, PHP and WSGI
/// servers see (HTTP_X_COMPANY_CODE for both X-Company-Code and X_Company_Code).
std::string folded_name(std::string_view name);

/// Removes every field that, folded, names a field the gateway sets or trusts:
/// X-Company-Code, the tenant header, X-Forwarded-*, Forwarded, X-Real-IP, X-Request-Id.
void remove_gateway_owned(http::fields& fields, std::string_view tenant_header);

/// Replaces the message's framing fields with `framing`.
void set_body_framing(http::fields& fields, const body_framing& framing);

/// True when the request asks to switch to WebSocket (Connection: upgrade + Upgrade
/// naming websocket), the one protocol switch the gateway relays. Any other Upgrade
/// (h2c, TLS/1.0, ...) is dropped and the request forwarded as plain HTTP/1.1: after a
/// switch the client speaks to the upstream directly, past the gateway's routing and
/// tenant checks, so only a protocol the proxy was built for may switch.
bool is_upgrade_request(const http::request_header<>& header);

/// True when a 101 answer switches to WebSocket, as asked (any other protocol the
/// upstream names is refused: the client did not ask for it).
bool switches_to_websocket(const http::response_header<>& header);

/// The target sent upstream: `strip_prefix` removed when the path starts with it as a
/// whole segment, then `base_path` (the server URL's path) put in front.
std::string upstream_target(std::string_view target, std::string_view strip_prefix,
                            std::string_view base_path);

/// Rewrites a client request header into the header sent upstream (HTTP/1.1, kept
/// alive unless upgrading), framed by `framing` whatever the client's fields said.
void prepare_upstream_request(http::request_header<>& header, const forward_facts& facts,
                              const body_framing& framing, bool upgrade);

/// Rewrites an upstream response header into the one sent to a client speaking
/// `client_version`; `keep_alive` is what the gateway decided for the client connection.
void prepare_client_response(http::response_header<>& header, unsigned client_version,
                             const body_framing& framing, bool keep_alive,
                             std::string_view request_id);

}  // namespace gateway
