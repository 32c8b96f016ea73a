#pragma once
// Secrets are never written in the configuration or the registry: both hold a
// reference, `env:NAME` (an environment variable) or `file:/path` (a file holding the
// secret, re-read when its modification time or size changes, so a rotated secret is
// picked up without a restart). Resolution failures describe the reference, never the
// secret.

#include <cstdint>
#include <ctime>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace tds_pool {

/// Why a reference did not yield a secret; safe to log and to show.
struct credential_problem {
    std::string message;
};

/// A secret, or why there is none.
using credential_result = std::variant<std::string, credential_problem>;

/// Resolves credential references; thread-safe, caches file contents by mtime and size.
class credential_store {
public:
    /// The secret named by `ref`: `env:NAME` or `file:/path`. A file's trailing line
    /// break is dropped; an empty secret is a problem, as is any other scheme.
    credential_result resolve(std::string_view ref);

private:
    struct cached_file {
        std::int64_t mtime_ns = 0;
        std::int64_t size = -1;
        std::string secret;
    };

    credential_result read_env(std::string_view name) const;
    credential_result read_file(const std::string& path);

    std::mutex mutex_;  // guards files_
    std::map<std::string, cached_file> files_;
};

/// True when `ref` has a scheme credential_store understands (says nothing of the secret).
bool is_credential_ref(std::string_view ref) noexcept;

}  // namespace tds_pool
