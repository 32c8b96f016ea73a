#pragma once
// Helpers shared by the conf unit tests.

#include <cstdlib>
#include <fstream>
#include <initializer_list>
#include <string>
#include <string_view>

#include "conf/loader.hpp"

namespace conf_test {

/// Test YAML is written as a raw string starting on its own line; drop that first
/// newline so line 1 of the text is line 1 of the document.
inline std::string yaml(std::string_view text) {
    if (!text.empty() && text.front() == '\n') {
        text.remove_prefix(1);
    }
    return std::string(text);
}

/// Loads `text` as "t.yaml"; returns the error message, or "" when it loads.
inline std::string load_error(std::string_view text) {
    try {
        conf::load_string(yaml(text), "t.yaml");
    } catch (const conf::config_error& e) {
        return e.what();
    }
    return "";
}

/// Sets each named environment variable to a stand-in secret: a configuration's
/// env: references must resolve for it to load.
inline void set_secret_env(std::initializer_list<const char*> names) {
    for (const char* name : names) ::setenv(name, "test-secret", 1);
}

/// A readable file holding a stand-in secret, for file: references; its path.
inline std::string secret_file() {
    const std::string path = "/tmp/tg-conf-test-secret";
    std::ofstream(path) << "test-secret\n";
    return path;
}

/// Loads `text` as "t.yaml"; a config_error escapes and fails the test.
inline conf::config load(std::string_view text) { return conf::load_string(yaml(text), "t.yaml"); }

}  // namespace conf_test
