#include "tds_pool/freetds/session_state.hpp"

#include <array>
#include <cctype>

namespace tds_pool {

namespace {

bool same_word(std::string_view a, std::string_view b) noexcept {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (std::toupper(static_cast<unsigned char>(a[i])) != std::toupper(static_cast<unsigned char>(b[i]))) {
            return false;
        }
    }
    return true;
}

bool is_word_char(char c) noexcept {
    const auto u = static_cast<unsigned char>(c);
    return std::isalnum(u) || c == '_' || c == '@' || c == '#' || c == '$' || u >= 0x80;
}

/// The position just past a literal, quoted identifier or comment starting at `i`, or
/// `i` when none starts there.
std::size_t skip_quoted(std::string_view sql, std::size_t i) noexcept {
    const char c = sql[i];
    auto past = [&](char close) {
        for (std::size_t j = i + 1; j < sql.size(); ++j) {
            if (sql[j] != close) continue;
            if (j + 1 < sql.size() && sql[j + 1] == close) {
                ++j;  // doubled: an escaped quote
                continue;
            }
            return j + 1;
        }
        return sql.size();
    };
    if (c == '\'') return past('\'');
    if (c == '"') return past('"');
    if (c == '[') return past(']');
    if (c == '-' && i + 1 < sql.size() && sql[i + 1] == '-') {
        const auto end = sql.find('\n', i);
        return end == std::string_view::npos ? sql.size() : end + 1;
    }
    if (c == '/' && i + 1 < sql.size() && sql[i + 1] == '*') {
        const auto end = sql.find("*/", i + 2);
        return end == std::string_view::npos ? sql.size() : end + 2;
    }
    return i;
}

/// Statement keywords a batch may start with; any other first word is a procedure call.
bool starts_a_statement(std::string_view word) noexcept {
    static constexpr std::array<std::string_view, 22> keywords = {
        "SELECT", "INSERT", "UPDATE", "DELETE", "MERGE",    "WITH",    "DECLARE", "SET",
        "IF",     "BEGIN",  "COMMIT", "ROLLBACK", "SAVE",   "WAITFOR", "WHILE",   "RETURN",
        "PRINT",  "THROW",  "CREATE", "DROP",   "TRUNCATE", "VALUES"};
    for (const auto keyword : keywords) {
        if (same_word(word, keyword)) return true;
    }
    return false;
}

/// Words after which a statement may have changed what the next lease would see.
bool changes_session(std::string_view word) noexcept {
    static constexpr std::string_view words[] = {
        "BEGIN",    "COMMIT",    "ROLLBACK",  "SAVE",     "TRAN",     "TRANSACTION", "WORK",
        "IMPLICIT_TRANSACTIONS", "ANSI_DEFAULTS", "CONTEXT_INFO", "INSERT", "UPDATE", "DELETE",
        "MERGE",    "INTO",      "TRUNCATE",  "CREATE",   "ALTER",    "DROP",        "GRANT",
        "DENY",     "REVOKE",    "BULK",      "WRITETEXT", "UPDATETEXT", "ENABLE",   "DISABLE",
        "OPENQUERY", "OPENROWSET", "OPENDATASOURCE"};
    for (const auto candidate : words) {
        if (same_word(word, candidate)) return true;
    }
    return false;
}

/// Calls `visit(word)` for each word outside literals, quoted identifiers and comments
/// until it returns true; true when one did.
template <typename Visit>
bool any_word(std::string_view sql, Visit visit) noexcept {
    for (std::size_t i = 0; i < sql.size();) {
        if (const auto past = skip_quoted(sql, i); past != i) {
            i = past;
            continue;
        }
        if (!is_word_char(sql[i])) {
            ++i;
            continue;
        }
        const std::size_t start = i;
        while (i < sql.size() && is_word_char(sql[i])) ++i;
        if (visit(sql.substr(start, i - start))) return true;
    }
    return false;
}

}  // namespace

bool may_change_session_state(std::string_view sql) noexcept {
    return may_leave_session_state(sql) || any_word(sql, changes_session);
}

bool may_leave_session_state(std::string_view sql) noexcept {
    bool first_word = true;
    return any_word(sql, [&first_word](std::string_view word) {
        if (same_word(word, "EXEC") || same_word(word, "EXECUTE") || same_word(word, "CURSOR")) return true;
        const bool procedure_call = first_word && !starts_a_statement(word);
        first_word = false;
        return procedure_call;
    });
}

}  // namespace tds_pool
