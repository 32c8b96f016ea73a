#include "tds_pool/registry/registry_snapshot_file.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/json.hpp>

#include "tds_pool/registry/registry_row.hpp"

namespace tds_pool {

namespace json = boost::json;

namespace {

constexpr std::string_view format_name = "tenant-gateway registry snapshot";
constexpr std::int64_t format_version = 1;

std::string errno_text(const std::string& what) { return what + ": " + std::strerror(errno); }

template <class T>
json::value optional_json(const std::optional<T>& value) {
    return value ? json::value(*value) : json::value(nullptr);
}

void tls_json(json::object& out, const conf::tls_overrides& tls) {
    out["encrypt"] = optional_json(tls.encrypt);
    out["trustServerCertificate"] = optional_json(tls.trust_server_certificate);
    out["caFile"] = optional_json(tls.ca_file);
    out["hostNameInCertificate"] = optional_json(tls.host_name_in_certificate);
}

json::object record_json(const tenant_record& r) {
    json::object out;
    out["code"] = r.code;
    out["name"] = r.name;
    out["server"] = r.server;
    out["port"] = r.port;
    out["database"] = r.database;
    out["user"] = r.user;
    out["credentialRef"] = r.credential_ref;
    tls_json(out, r.tls);
    out["active"] = r.active;
    out["problem"] = r.problem;
    if (r.max_connections) {
        out["maxConnections"] = *r.max_connections;
    } else {
        out["maxConnections"] = nullptr;
    }
    // optional members: a file written before the rate limits existed reads the same
    if (r.rate_limit_per_second) out["rateLimitPerSecond"] = *r.rate_limit_per_second;
    if (r.max_concurrent_requests) out["maxConcurrentRequests"] = *r.max_concurrent_requests;
    return out;
}

std::string snapshot_text(const registry_snapshot& snapshot) {
    json::object doc;
    doc["format"] = format_name;
    doc["version"] = format_version;
    doc["savedAtMs"] = std::chrono::duration_cast<std::chrono::milliseconds>(
                           snapshot.loaded_at.time_since_epoch()).count();
    json::array tenants;
    for (const auto& [code, record] : snapshot.tenants) tenants.push_back(record_json(record));
    doc["tenants"] = std::move(tenants);
    return json::serialize(doc) + "\n";
}

std::string directory_of(const std::string& path) {
    const auto slash = path.rfind('/');
    if (slash == std::string::npos) return ".";
    return slash == 0 ? "/" : path.substr(0, slash);
}

/// Writes all of `text` to `fd` and flushes it to the disk.
std::optional<std::string> write_and_sync(int fd, const std::string& text, const std::string& tmp) {
    std::size_t done = 0;
    while (done < text.size()) {
        const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return errno_text("write " + tmp);
        done += static_cast<std::size_t>(n);
    }
    if (::fsync(fd) != 0) return errno_text("fsync " + tmp);
    return std::nullopt;
}

/// The rename is durable once the directory is synced too.
void sync_directory(const std::string& dir) {
    const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return;
    ::fsync(fd);
    ::close(fd);
}

}  // namespace

std::optional<std::string> save_snapshot_file(const std::string& path, const registry_snapshot& snapshot) {
    const std::string tmp = path + ".tmp." + std::to_string(::getpid());
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) return errno_text("open " + tmp);
    // an existing file (a crash left it) keeps its mode on O_CREAT: set it
    std::optional<std::string> error;
    if (::fchmod(fd, 0600) != 0) error = errno_text("chmod " + tmp);
    if (!error) error = write_and_sync(fd, snapshot_text(snapshot), tmp);
    if (::close(fd) != 0 && !error) error = errno_text("close " + tmp);
    if (!error && ::rename(tmp.c_str(), path.c_str()) != 0) error = errno_text("rename to " + path);
    if (error) {
        ::unlink(tmp.c_str());
        return error;
    }
    sync_directory(directory_of(path));
    return std::nullopt;
}

namespace {

/// A string member, or throws naming it.
std::string text_member(const json::object& o, std::string_view key, bool required) {
    const auto* v = o.if_contains(key);
    if (v == nullptr || v->is_null()) {
        if (required) throw std::runtime_error("tenant without " + std::string(key));
        return {};
    }
    if (!v->is_string()) throw std::runtime_error(std::string(key) + " is not a string");
    return std::string(v->as_string());
}

std::optional<bool> optional_bool(const json::object& o, std::string_view key) {
    const auto* v = o.if_contains(key);
    if (v == nullptr || v->is_null()) return std::nullopt;
    return v->as_bool();
}

std::optional<std::string> optional_text(const json::object& o, std::string_view key) {
    const auto* v = o.if_contains(key);
    if (v == nullptr || v->is_null()) return std::nullopt;
    return std::string(v->as_string());
}

conf::tls_overrides tls_from_json(const json::object& o) {
    conf::tls_overrides tls;
    tls.encrypt = optional_bool(o, "encrypt");
    tls.trust_server_certificate = optional_bool(o, "trustServerCertificate");
    tls.ca_file = optional_text(o, "caFile");
    tls.host_name_in_certificate = optional_text(o, "hostNameInCertificate");
    return tls;
}

/// An optional member in 0..1000000 (the registry columns' range); absent or null: nullopt.
std::optional<std::uint32_t> limit_member(const json::object& o, std::string_view name) {
    const auto* member = o.if_contains(name);
    if (member == nullptr || member->is_null()) return std::nullopt;
    const auto n = json::value_to<std::int64_t>(*member);
    if (n < 0 || n > 1'000'000) throw std::runtime_error(std::string(name) + " out of range");
    return static_cast<std::uint32_t>(n);
}

tenant_record record_from_json(const json::value& value) {
    const json::object& o = value.as_object();
    tenant_record r;
    r.code = text_member(o, "code", true);
    if (!is_company_code(r.code)) throw std::runtime_error("invalid company code");
    r.name = text_member(o, "name", false);
    r.server = text_member(o, "server", true);
    r.database = text_member(o, "database", true);
    r.user = text_member(o, "user", false);
    r.credential_ref = text_member(o, "credentialRef", false);
    const auto port = json::value_to<std::int64_t>(o.at("port"));
    if (port < 1 || port > 65535) throw std::runtime_error("port out of range for " + r.code);
    r.port = static_cast<std::uint16_t>(port);
    r.tls = tls_from_json(o);
    r.active = o.at("active").as_bool();
    r.problem = text_member(o, "problem", false);
    if (const auto* max = o.if_contains("maxConnections"); max != nullptr && !max->is_null()) {
        const auto n = json::value_to<std::int64_t>(*max);
        if (n < 1) throw std::runtime_error("maxConnections below 1 for " + r.code);
        r.max_connections = static_cast<std::size_t>(n);
    }
    r.rate_limit_per_second = limit_member(o, "rateLimitPerSecond");
    r.max_concurrent_requests = limit_member(o, "maxConcurrentRequests");
    return r;
}

registry_snapshot snapshot_from_json(const json::value& doc) {
    const json::object& o = doc.as_object();
    if (o.at("format").as_string() != format_name) throw std::runtime_error("not a registry snapshot");
    if (json::value_to<std::int64_t>(o.at("version")) != format_version) {
        throw std::runtime_error("unsupported snapshot version");
    }
    registry_snapshot out;
    const auto saved_ms = json::value_to<std::int64_t>(o.at("savedAtMs"));
    if (saved_ms <= 0) throw std::runtime_error("savedAtMs must be positive");
    out.loaded_at = std::chrono::system_clock::time_point(std::chrono::milliseconds(saved_ms));
    for (const auto& item : o.at("tenants").as_array()) {
        tenant_record r = record_from_json(item);
        std::string code = r.code;
        if (!out.tenants.emplace(std::move(code), std::move(r)).second) {
            throw std::runtime_error("duplicate company code");
        }
    }
    return out;
}

}  // namespace

snapshot_file_read load_snapshot_file(const std::string& path) {
    snapshot_file_read out;
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        out.error = errno_text("open " + path);
        return out;
    }
    std::ostringstream text;
    text << in.rdbuf();
    boost::system::error_code ec;
    json::value doc = json::parse(text.str(), ec);
    if (ec) {
        out.error = path + ": not JSON: " + ec.message();
        return out;
    }
    try {
        out.snapshot = snapshot_from_json(doc);
    } catch (const std::exception& e) {
        out.error = path + ": invalid snapshot: " + e.what();
    }
    return out;
}

}  // namespace tds_pool
