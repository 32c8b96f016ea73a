#pragma once
// Helpers shared by the conf unit tests.

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

/// Loads `text` as "t.yaml"; a config_error escapes and fails the test.
inline conf::config load(std::string_view text) { return conf::load_string(yaml(text), "t.yaml"); }

}  // namespace conf_test
