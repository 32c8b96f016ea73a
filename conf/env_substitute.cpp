// conf::substitute_env: expands `${NAME}` from the process environment.
#include "conf/env_substitute.hpp"

#include <cstdlib>

namespace conf {

namespace {

bool is_name_start(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_'; }

bool is_name_char(char c) { return is_name_start(c) || (c >= '0' && c <= '9'); }

bool is_valid_name(std::string_view name) {
    if (name.empty() || !is_name_start(name.front())) {
        return false;
    }
    for (char c : name) {
        if (!is_name_char(c)) {
            return false;
        }
    }
    return true;
}

}  // namespace

std::variant<std::string, substitution_error> substitute_env(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    std::size_t i = 0;
    while (i < text.size()) {
        const char c = text[i];
        if (c != '$' || i + 1 == text.size()) {
            out += c;
            ++i;
            continue;
        }
        const char next = text[i + 1];
        if (next == '$') {
            out += '$';
            i += 2;
            continue;
        }
        if (next != '{') {
            out += c;
            ++i;
            continue;
        }
        const std::size_t close = text.find('}', i + 2);
        if (close == std::string_view::npos) {
            return substitution_error{"unterminated '${' (write '$$' for a literal '$')"};
        }
        const std::string_view name = text.substr(i + 2, close - i - 2);
        if (!is_valid_name(name)) {
            return substitution_error{"invalid environment variable name '" + std::string(name) +
                                      "'"};
        }
        const char* value = std::getenv(std::string(name).c_str());
        if (value == nullptr) {
            return substitution_error{"environment variable " + std::string(name) + " is not set"};
        }
        out += value;
        i = close + 1;
    }
    return out;
}

}  // namespace conf
