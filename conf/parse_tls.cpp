// Parsing of the TLS keys shared by `pools:`, a tenant and `registry:`.
#include <unistd.h>

#include <algorithm>
#include <cctype>

#include "conf/parse_sections.hpp"
#include "conf/yaml_reader.hpp"

namespace conf {
namespace {

/// A DNS name a certificate can carry: labels of letters, digits and '-', dot-separated.
bool is_certificate_name(const std::string& name) {
    if (name.empty() || name.size() > 253 || name.front() == '.' || name.back() == '.') {
        return false;
    }
    return std::all_of(name.begin(), name.end(), [](unsigned char c) {
        return std::isalnum(c) != 0 || c == '-' || c == '.';
    });
}

std::string read_ca_file(const YAML::Node& value) {
    std::string path = read_string(value);
    // A CA file that cannot be read would fail every connection later; say it now.
    if (path.empty() || ::access(path.c_str(), R_OK) != 0) {
        fail(value, "ca_file '" + path + "' cannot be read");
    }
    return path;
}

}  // namespace

tls_settings tls_overrides::over(const tls_settings& defaults) const {
    tls_settings out = defaults;
    if (encrypt) out.encrypt = *encrypt;
    if (trust_server_certificate) out.trust_server_certificate = *trust_server_certificate;
    if (ca_file) out.ca_file = *ca_file;
    if (host_name_in_certificate) out.host_name_in_certificate = *host_name_in_certificate;
    return out;
}

bool read_tls_field(tls_overrides& out, std::string_view key, const YAML::Node& value) {
    if (key == "encrypt") {
        out.encrypt = read_bool(value);
    } else if (key == "trust_server_certificate") {
        out.trust_server_certificate = read_bool(value);
    } else if (key == "ca_file") {
        out.ca_file = read_ca_file(value);
    } else if (key == "host_name_in_certificate") {
        out.host_name_in_certificate = read_string(value);
        if (!is_certificate_name(*out.host_name_in_certificate)) {
            fail(value, "host_name_in_certificate must be a DNS name such as sql.example.com");
        }
    } else {
        return false;
    }
    return true;
}

}  // namespace conf
