#pragma once
// The last-known-good copy of the registry on disk: JSON with the tenant records as the
// registry read them (credential *references*, never resolved secrets), written
// atomically (temporary file in the same directory, mode 0600, fsync, rename) after each
// successful load, read back when the registry cannot be reached at start-up.

#include <optional>
#include <string>

#include "tds_pool/registry/registry_record.hpp"

namespace tds_pool {

/// Writes `snapshot` to `path` atomically with mode 0600; the error text on failure.
std::optional<std::string> save_snapshot_file(const std::string& path, const registry_snapshot& snapshot);

/// A snapshot read back from `path` (loaded_at is when it was saved), or why the file
/// cannot be used (missing, unreadable, malformed or failing validation).
struct snapshot_file_read {
    std::optional<registry_snapshot> snapshot;
    std::string error;
};

/// Reads and validates the snapshot file at `path`.
snapshot_file_read load_snapshot_file(const std::string& path);

}  // namespace tds_pool
