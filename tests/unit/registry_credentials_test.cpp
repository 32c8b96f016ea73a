// Credential references: env: and file:, re-reading a changed file, clear problems.
#include <catch2/catch.hpp>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>
#include <variant>

#include "tds_pool/credentials.hpp"

namespace {

std::string secret_of(const tds_pool::credential_result& result) {
    REQUIRE(std::holds_alternative<std::string>(result));
    return std::get<std::string>(result);
}

std::string problem_of(const tds_pool::credential_result& result) {
    REQUIRE(std::holds_alternative<tds_pool::credential_problem>(result));
    return std::get<tds_pool::credential_problem>(result).message;
}

std::filesystem::path temp_file(const std::string& name) {
    return std::filesystem::temp_directory_path() /
           ("tg_cred_" + std::to_string(::getpid()) + "_" + name);
}

void write(const std::filesystem::path& path, const std::string& text) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << text;
}

}  // namespace

TEST_CASE("env: references read the variable", "[credentials]") {
    ::setenv("TG_TEST_SECRET_A", "s3cr3t", 1);
    tds_pool::credential_store store;
    CHECK(secret_of(store.resolve("env:TG_TEST_SECRET_A")) == "s3cr3t");

    ::unsetenv("TG_TEST_SECRET_MISSING");
    const auto missing = problem_of(store.resolve("env:TG_TEST_SECRET_MISSING"));
    CHECK(missing.find("TG_TEST_SECRET_MISSING") != std::string::npos);

    ::setenv("TG_TEST_SECRET_EMPTY", "", 1);
    CHECK(problem_of(store.resolve("env:TG_TEST_SECRET_EMPTY")).find("empty") != std::string::npos);
}

TEST_CASE("file: references read the file and notice changes", "[credentials]") {
    const auto path = temp_file("rotating");
    write(path, "first-secret\n");
    tds_pool::credential_store store;
    const std::string ref = "file:" + path.string();
    CHECK(secret_of(store.resolve(ref)) == "first-secret");

    // a different size is noticed even within the file system's timestamp granularity
    write(path, "the-second-secret\r\n");
    CHECK(secret_of(store.resolve(ref)) == "the-second-secret");

    // same size, later modification time
    write(path, "the-third--secret");
    std::filesystem::last_write_time(path, std::filesystem::last_write_time(path) +
                                               std::chrono::seconds(5));
    CHECK(secret_of(store.resolve(ref)) == "the-third--secret");

    std::filesystem::remove(path);
    const auto gone = problem_of(store.resolve(ref));
    CHECK(gone.find(path.string()) != std::string::npos);
    CHECK(gone.find("secret") == std::string::npos);
}

TEST_CASE("problems never contain the secret", "[credentials]") {
    const auto path = temp_file("empty");
    write(path, "\n");
    tds_pool::credential_store store;
    CHECK(problem_of(store.resolve("file:" + path.string())).find("empty") != std::string::npos);
    std::filesystem::remove(path);

    CHECK_FALSE(problem_of(store.resolve("")).empty());
    CHECK(problem_of(store.resolve("vault:x")).find("env: or file:") != std::string::npos);
    CHECK_FALSE(problem_of(store.resolve("env:")).empty());
    CHECK(tds_pool::is_credential_ref("env:X"));
    CHECK(tds_pool::is_credential_ref("file:/x"));
    CHECK_FALSE(tds_pool::is_credential_ref("env:"));
    CHECK_FALSE(tds_pool::is_credential_ref("password"));
}
