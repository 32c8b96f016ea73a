#include "tds_pool/credentials.hpp"

#include <sys/stat.h>

#include <cstdlib>
#include <fstream>
#include <iterator>

namespace tds_pool {

namespace {

constexpr std::string_view env_scheme = "env:";
constexpr std::string_view file_scheme = "file:";
constexpr std::int64_t max_secret_file_bytes = 64 * 1024;

/// Drops one trailing "\n" or "\r\n": editors add it, it is never part of a secret.
void trim_line_break(std::string& text) {
    if (!text.empty() && text.back() == '\n') text.pop_back();
    if (!text.empty() && text.back() == '\r') text.pop_back();
}

}  // namespace

bool is_credential_ref(std::string_view ref) noexcept {
    return (ref.starts_with(env_scheme) && ref.size() > env_scheme.size()) ||
           (ref.starts_with(file_scheme) && ref.size() > file_scheme.size());
}

credential_result credential_store::resolve(std::string_view ref) {
    if (ref.empty()) return credential_problem{"no credential reference configured"};
    if (ref.starts_with(env_scheme)) return read_env(ref.substr(env_scheme.size()));
    if (ref.starts_with(file_scheme)) return read_file(std::string(ref.substr(file_scheme.size())));
    return credential_problem{"credential reference must start with env: or file:"};
}

credential_result credential_store::read_env(std::string_view name) const {
    if (name.empty()) return credential_problem{"credential reference env: names no variable"};
    const std::string key(name);
    const char* value = std::getenv(key.c_str());
    if (value == nullptr) return credential_problem{"environment variable " + key + " is not set"};
    if (*value == '\0') return credential_problem{"environment variable " + key + " is empty"};
    return std::string(value);
}

credential_result credential_store::read_file(const std::string& path) {
    if (path.empty()) return credential_problem{"credential reference file: names no file"};
    struct stat info {};
    if (::stat(path.c_str(), &info) != 0) {
        return credential_problem{"credential file " + path + " cannot be read"};
    }
    const std::int64_t mtime_ns =
        static_cast<std::int64_t>(info.st_mtim.tv_sec) * 1'000'000'000 + info.st_mtim.tv_nsec;
    const auto size = static_cast<std::int64_t>(info.st_size);
    if (size > max_secret_file_bytes) {
        return credential_problem{"credential file " + path + " is too large"};
    }
    std::lock_guard lock(mutex_);
    auto found = files_.find(path);
    if (found != files_.end() && found->second.mtime_ns == mtime_ns && found->second.size == size) {
        return found->second.secret;
    }
    std::ifstream in(path, std::ios::binary);
    if (!in) return credential_problem{"credential file " + path + " cannot be read"};
    std::string secret{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    trim_line_break(secret);
    if (secret.empty()) return credential_problem{"credential file " + path + " is empty"};
    files_[path] = cached_file{mtime_ns, size, secret};
    return secret;
}

}  // namespace tds_pool
