#pragma once
// Header rewriting for proxied messages (RFC 9110 §7.6): hop-by-hop fields stop at the
// gateway, forwarding fields are added, and the tenant header is the gateway's word,
// never the client's. Pure functions over Beast headers, testable without sockets.

#include <optional>
#include <string>
#include <string_view>

#include "gateway/http_types.hpp"

namespace gateway {

/// What the gateway knows about a request that the upstream should learn.
struct forward_facts {
    std::string_view client_ip;            ///< appended to X-Forwarded-For
    std::optional<std::string> tenant;     ///< resolved company code, if any
    std::string_view request_id;           ///< sent as X-Request-Id
    std::string_view tenant_header;        ///< configured tenant header (client copies removed)
    bool preserve_host = true;             ///< false: Host becomes `upstream_authority`
    std::string_view upstream_authority;   ///< "host:port" of the chosen server
};

/// Removes the hop-by-hop fields: Connection and every field it names, Keep-Alive,
/// Proxy-*, TE, Trailer, Transfer-Encoding, and Upgrade unless `keep_upgrade`.
void remove_hop_by_hop(http::fields& fields, bool keep_upgrade);

/// True when the request asks to switch protocols (Connection: upgrade + Upgrade).
bool is_upgrade_request(const http::request_header<>& header);

/// The target sent upstream: `strip_prefix` removed when the path starts with it as a
/// whole segment, then `base_path` (the server URL's path) put in front.
std::string upstream_target(std::string_view target, std::string_view strip_prefix,
                            std::string_view base_path);

/// Rewrites a client request header into the header sent upstream (HTTP/1.1, kept
/// alive unless upgrading; `chunked` restored when the body is chunked).
void prepare_upstream_request(http::request_header<>& header, const forward_facts& facts,
                              bool chunked_body, bool upgrade);

/// Rewrites an upstream response header into the one sent to a client speaking
/// `client_version`; `keep_alive` is what the gateway decided for the client connection.
void prepare_client_response(http::response_header<>& header, unsigned client_version,
                             bool chunked_body, bool keep_alive, std::string_view request_id);

}  // namespace gateway
