#pragma once
// Route path patterns, compiled once from the configuration and matched against the
// decoded segments of each request path.
//
// Syntax: "/" followed by '/'-separated segments. A segment is a literal ("customers",
// compared case-sensitively with the decoded request segment), a capture ("{id}",
// exactly one non-empty segment, name of [A-Za-z0-9_]), or, as the last segment only,
// "*": a prefix pattern matching the prefix itself and anything below it ("/app/*"
// matches "/app", "/app/" and "/app/x/y", never "/application"). A trailing slash is
// significant: "/api/customers" and "/api/customers/" are different paths.

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace router {

/// Splits a decoded path ("/a/b/") into its segments ({"a","b",""}); "/" has none.
std::vector<std::string_view> split_path(std::string_view path);

/// A compiled path pattern.
class path_pattern {
public:
    /// Parses `pattern`; throws std::invalid_argument naming it when malformed.
    explicit path_pattern(std::string_view pattern);

    /// True when the request `segments` (from split_path) match.
    bool matches(std::span<const std::string_view> segments) const;

    /// Appends the {name} captures of a matching `segments` to `params`.
    void capture(std::span<const std::string_view> segments,
                 std::vector<std::pair<std::string, std::string>>& params) const;

    /// Segments before any "*"; a prefix pattern matches paths at least this long.
    std::size_t size() const noexcept { return segments_.size(); }
    std::size_t literal_count() const noexcept;
    std::size_t capture_count() const noexcept { return size() - literal_count(); }
    bool is_prefix() const noexcept { return prefix_; }

    /// True when this pattern wins over `other` for a path both match. In order:
    /// more literal segments; more captures; an exact pattern before a prefix one
    /// (so a longer prefix beats a shorter one by the first two rules); at the first
    /// position where one has a literal and the other a capture, the literal. Equal
    /// by all of these: neither wins (the table then keeps declaration order).
    bool more_specific_than(const path_pattern& other) const noexcept;

private:
    struct segment {
        bool is_capture;
        std::string text;  ///< literal text, or the capture's name
    };

    std::vector<segment> segments_;
    bool prefix_ = false;
};

}  // namespace router
