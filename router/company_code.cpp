#include "router/company_code.hpp"

namespace router {
namespace {

// Locale-free on purpose: std::toupper would let the process locale change which
// bytes count as letters.
bool is_code_char(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           c == '_' || c == '-';
}

char to_upper_ascii(char c) {
    return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
}

}  // namespace

std::optional<std::string> normalize_company_code(std::string_view raw) {
    if (raw.empty() || raw.size() > max_company_code_length) {
        return std::nullopt;
    }
    std::string code;
    code.reserve(raw.size());
    for (char c : raw) {
        if (!is_code_char(c)) {
            return std::nullopt;
        }
        code.push_back(to_upper_ascii(c));
    }
    return code;
}

}  // namespace router
