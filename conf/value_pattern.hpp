#pragma once
// A parameter's `pattern:`, compiled once at config load with RE2: matching time is linear
// in the value's length whatever the pattern, so no client value can hang or crash the
// process (std::regex recurses per character and overflows the stack on long values).

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <variant>

namespace re2 {
class RE2;
}

namespace conf {

/// A compiled, immutable pattern that a whole value must match; cheap to copy (shared).
class value_pattern {
public:
    /// Memory RE2 may use for one pattern (program and DFA cache); beyond it a pattern
    /// is refused at load, and matching falls back to RE2's slower linear-time NFA.
    static constexpr std::int64_t max_memory = 1 << 20;

    /// Compiles `text` in RE2 syntax; the reason when invalid, unsupported by RE2
    /// (backreferences, lookaround) or too large for the memory budget.
    static std::variant<value_pattern, std::string> compile(std::string_view text);

    /// The pattern as written in the configuration.
    const std::string& text() const noexcept { return text_; }

    /// True when the whole of `value` matches (anchored at both ends).
    bool full_match(std::string_view value) const;

    friend bool operator==(const value_pattern& a, const value_pattern& b) { return a.text_ == b.text_; }
    friend bool operator==(const value_pattern& a, std::string_view text) { return a.text_ == text; }

private:
    value_pattern(std::string text, std::shared_ptr<const re2::RE2> compiled);

    std::string text_;
    std::shared_ptr<const re2::RE2> compiled_;
};

}  // namespace conf
