// The last-known-good snapshot file: round trip, mode 0600, no secrets, validation.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include <sys/stat.h>
#include <unistd.h>

#include "tds_pool/registry/registry_snapshot_file.hpp"

using tds_pool::load_snapshot_file;
using tds_pool::registry_snapshot;
using tds_pool::save_snapshot_file;
using tds_pool::tenant_record;

namespace {

std::string temp_dir() {
    char pattern[] = "/tmp/tg-snapshot-XXXXXX";
    const char* dir = ::mkdtemp(pattern);
    REQUIRE(dir != nullptr);
    return dir;
}

registry_snapshot sample() {
    registry_snapshot s;
    tenant_record a;
    a.code = "ACME";
    a.name = "Acme Corp";
    a.server = "acme-sql.database.windows.net";
    a.port = 1444;
    a.database = "FieldServiceDB_ACME";
    a.user = "acme_api";
    a.credential_ref = "env:ACME_DB_PASSWORD";
    a.tls.encrypt = true;
    a.tls.host_name_in_certificate = "acme-sql.database.windows.net";
    a.max_connections = 7;
    tenant_record b;
    b.code = "OLD";
    b.server = "old-sql";
    b.database = "Old";
    b.active = false;
    s.tenants = {{a.code, a}, {b.code, b}};
    s.loaded_at = std::chrono::system_clock::time_point(std::chrono::seconds(1'700'000'000));
    return s;
}

std::string read_all(const std::string& path) {
    std::ifstream in(path);
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
}

void write_all(const std::string& path, const std::string& text) {
    std::ofstream(path) << text;
}

}  // namespace

TEST_CASE("a saved snapshot reads back equal, mode 0600, references only") {
    const std::string path = temp_dir() + "/registry.json";
    REQUIRE_FALSE(save_snapshot_file(path, sample()));
    struct stat st {};
    REQUIRE(::stat(path.c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0600);
    const std::string text = read_all(path);
    CHECK(text.find("env:ACME_DB_PASSWORD") != std::string::npos);
    auto read = load_snapshot_file(path);
    REQUIRE(read.snapshot);
    CHECK(read.snapshot->tenants == sample().tenants);
    CHECK(read.snapshot->loaded_at == sample().loaded_at);
    // saving again replaces the file (rename over it), no temporary left behind
    REQUIRE_FALSE(save_snapshot_file(path, sample()));
    CHECK(::access((path + ".tmp." + std::to_string(::getpid())).c_str(), F_OK) != 0);
}

TEST_CASE("a corrupt or foreign snapshot file is refused with a reason") {
    const std::string path = temp_dir() + "/registry.json";
    CHECK_FALSE(load_snapshot_file(path).snapshot);  // missing
    write_all(path, "{not json");
    auto read = load_snapshot_file(path);
    CHECK_FALSE(read.snapshot);
    CHECK_THAT(read.error, Catch::Contains("not JSON"));
    write_all(path, R"({"format":"something else","version":1,"savedAtMs":1,"tenants":[]})");
    CHECK_FALSE(load_snapshot_file(path).snapshot);
    REQUIRE_FALSE(save_snapshot_file(path, sample()));
    std::string text = read_all(path);
    text.replace(text.find("\"ACME\""), 6, "\"ac me\"");
    write_all(path, text);
    read = load_snapshot_file(path);
    CHECK_FALSE(read.snapshot);
    CHECK_THAT(read.error, Catch::Contains("invalid company code"));
    write_all(path, R"({"format":"tenant-gateway registry snapshot","version":1,"savedAtMs":5,)"
                    R"("tenants":[{"code":"A","server":"s","database":"d","port":70000,)"
                    R"("encrypt":false,"active":true}]})");
    CHECK_FALSE(load_snapshot_file(path).snapshot);
}

TEST_CASE("an unwritable directory is an error, not a crash") {
    auto error = save_snapshot_file("/nonexistent-dir/registry.json", sample());
    REQUIRE(error);
    CHECK_THAT(*error, Catch::Contains("/nonexistent-dir"));
}
