#include "router/path_pattern.hpp"

#include <algorithm>
#include <stdexcept>

namespace router {
namespace {

[[noreturn]] void reject(std::string_view pattern, std::string_view why) {
    throw std::invalid_argument("route path '" + std::string(pattern) + "': " + std::string(why));
}

bool is_name_char(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           c == '_';
}

bool is_capture_syntax(std::string_view text) {
    return text.size() >= 2 && text.front() == '{' && text.back() == '}';
}

bool is_valid_name(std::string_view name) {
    return !name.empty() && std::all_of(name.begin(), name.end(), is_name_char);
}

}  // namespace

std::vector<std::string_view> split_path(std::string_view path) {
    std::vector<std::string_view> segments;
    if (path.starts_with('/')) {
        path.remove_prefix(1);
    }
    if (path.empty()) {
        return segments;
    }
    for (;;) {
        const auto slash = path.find('/');
        segments.push_back(path.substr(0, slash));
        if (slash == std::string_view::npos) {
            return segments;
        }
        path.remove_prefix(slash + 1);
    }
}

path_pattern::path_pattern(std::string_view pattern) {
    if (!pattern.starts_with('/')) {
        reject(pattern, "must start with '/'");
    }
    const auto parts = split_path(pattern);
    for (std::size_t i = 0; i < parts.size(); ++i) {
        const std::string_view part = parts[i];
        const bool last = i + 1 == parts.size();
        if (part == "*" && last) {
            prefix_ = true;
        } else if (is_capture_syntax(part)) {
            const std::string_view name = part.substr(1, part.size() - 2);
            if (!is_valid_name(name)) {
                reject(pattern, "capture names are made of A-Z, a-z, 0-9 and '_'");
            }
            const bool duplicate = std::any_of(segments_.begin(), segments_.end(),
                                               [&](const segment& s) {
                                                   return s.is_capture && s.text == name;
                                               });
            if (duplicate) {
                reject(pattern, "capture '" + std::string(name) + "' appears twice");
            }
            segments_.push_back(segment{true, std::string(name)});
        } else if (part.find_first_of("{}*") != std::string_view::npos) {
            reject(pattern, "'{', '}' and '*' may only form a whole {capture} or a final /*");
        } else if (part.empty() && !last) {
            reject(pattern, "empty segment");
        } else {
            segments_.push_back(segment{false, std::string(part)});
        }
    }
}

bool path_pattern::matches(std::span<const std::string_view> request) const {
    if (prefix_ ? request.size() < segments_.size() : request.size() != segments_.size()) {
        return false;
    }
    for (std::size_t i = 0; i < segments_.size(); ++i) {
        const segment& s = segments_[i];
        if (s.is_capture ? request[i].empty() : request[i] != s.text) {
            return false;
        }
    }
    return true;
}

void path_pattern::capture(std::span<const std::string_view> request,
                           std::vector<std::pair<std::string, std::string>>& params) const {
    for (std::size_t i = 0; i < segments_.size() && i < request.size(); ++i) {
        if (segments_[i].is_capture) {
            params.emplace_back(segments_[i].text, std::string(request[i]));
        }
    }
}

std::size_t path_pattern::literal_count() const noexcept {
    return static_cast<std::size_t>(std::count_if(
        segments_.begin(), segments_.end(), [](const segment& s) { return !s.is_capture; }));
}

bool path_pattern::more_specific_than(const path_pattern& other) const noexcept {
    if (literal_count() != other.literal_count()) {
        return literal_count() > other.literal_count();
    }
    if (capture_count() != other.capture_count()) {
        return capture_count() > other.capture_count();
    }
    if (prefix_ != other.prefix_) {
        return !prefix_;
    }
    // Same counts, so same length: the leftmost literal-versus-capture difference decides.
    for (std::size_t i = 0; i < segments_.size(); ++i) {
        if (segments_[i].is_capture != other.segments_[i].is_capture) {
            return !segments_[i].is_capture;
        }
    }
    return false;
}

}  // namespace router
