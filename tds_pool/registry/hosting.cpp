#include "tds_pool/registry/hosting.hpp"

#include <cctype>
#include <string>
#include <vector>

namespace tds_pool {

namespace {

bool same_char(char a, char b) noexcept {
    return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
}

bool any_match(const std::vector<std::string>& patterns, std::string_view server) {
    for (const std::string& pattern : patterns) {
        if (glob_match(pattern, server)) return true;
    }
    return false;
}

}  // namespace

bool glob_match(std::string_view pattern, std::string_view text) noexcept {
    // Iterative matching with one backtrack point: linear in practice, no recursion.
    std::size_t p = 0, t = 0;
    std::size_t star = std::string_view::npos, resume = 0;
    while (t < text.size()) {
        if (p < pattern.size() && pattern[p] == '*') {
            star = p++;
            resume = t;
        } else if (p < pattern.size() && same_char(pattern[p], text[t])) {
            ++p;
            ++t;
        } else if (star != std::string_view::npos) {
            p = star + 1;
            t = ++resume;
        } else {
            return false;
        }
    }
    while (p < pattern.size() && pattern[p] == '*') ++p;
    return p == pattern.size();
}

std::string_view hosting_label(std::string_view server, const conf::hosting_config& config) {
    if (any_match(config.own_server_patterns, server)) return "Your Server";
    if (any_match(config.azure_patterns, server)) return "Customer Hosted (Azure)";
    if (any_match(config.aws_patterns, server)) return "Customer Hosted (AWS)";
    return "Customer Hosted (On-Prem)";
}

}  // namespace tds_pool
