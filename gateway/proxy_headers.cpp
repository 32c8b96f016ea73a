#include "gateway/proxy_headers.hpp"

#include <vector>

#include <boost/beast/core/string.hpp>
#include <boost/beast/http/rfc7230.hpp>

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

}  // namespace

void remove_hop_by_hop(http::fields& fields, bool keep_upgrade) {
    std::vector<std::string> names;
    const auto [first, last] = fields.equal_range(http::field::connection);
    for (auto it = first; it != last; ++it) {
        for (const auto& item : http::token_list{it->value()}) {
            if (!(keep_upgrade && beast::iequals(item, "upgrade"))) names.emplace_back(item);
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
    if (!keep_upgrade) fields.erase(http::field::upgrade);
}

bool is_upgrade_request(const http::request_header<>& header) {
    return header.version() >= 11 && header.count(http::field::upgrade) > 0 &&
           connection_has(header, "upgrade");
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
                              bool chunked_body, bool upgrade) {
    const std::string client_host(header[http::field::host]);
    std::string forwarded_for = joined_values(header, "X-Forwarded-For");
    remove_hop_by_hop(header, upgrade);
    header.version(11);
    if (upgrade) {
        header.set(http::field::connection, "Upgrade");
    }
    if (chunked_body) header.set(http::field::transfer_encoding, "chunked");
    // The gateway answers "Expect: 100-continue" itself before relaying the body.
    header.erase(http::field::expect);
    if (!facts.preserve_host) header.set(http::field::host, facts.upstream_authority);

    if (!forwarded_for.empty()) forwarded_for += ", ";
    forwarded_for += facts.client_ip;
    header.set("X-Forwarded-For", forwarded_for);
    header.set("X-Forwarded-Proto", "http");
    if (!client_host.empty()) {
        header.set("X-Forwarded-Host", client_host);
    } else {
        header.erase("X-Forwarded-Host");
    }
    header.set("X-Request-Id", facts.request_id);

    // Only the tenant the gateway resolved reaches the upstream.
    if (!facts.tenant_header.empty()) header.erase(facts.tenant_header);
    header.erase("X-Company-Code");
    if (facts.tenant) header.set("X-Company-Code", *facts.tenant);
}

void prepare_client_response(http::response_header<>& header, unsigned client_version,
                             bool chunked_body, bool keep_alive, std::string_view request_id) {
    const bool switching = header.result() == http::status::switching_protocols;
    remove_hop_by_hop(header, switching);
    header.version(client_version);
    header.set("X-Request-Id", request_id);
    if (switching) {
        header.set(http::field::connection, "Upgrade");
        return;
    }
    if (chunked_body) header.set(http::field::transfer_encoding, "chunked");
    // Connection was removed above; say only what differs from the version's default.
    if (client_version >= 11 && !keep_alive) header.set(http::field::connection, "close");
    if (client_version < 11 && keep_alive) header.set(http::field::connection, "keep-alive");
}

}  // namespace gateway
