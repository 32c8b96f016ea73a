#include "tds_pool/freetds/session_state.hpp"

#include <cctype>
#include <functional>
#include <string>
#include <unordered_map>

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
        // T-SQL block comments nest: /* /* */ still open */ ends at the second */.
        std::size_t depth = 0;
        for (std::size_t j = i; j + 1 < sql.size(); ++j) {
            if (sql[j] == '/' && sql[j + 1] == '*') {
                ++depth;
                ++j;
            } else if (sql[j] == '*' && sql[j + 1] == '/') {
                ++j;
                if (--depth == 0) return j + 1;
            }
        }
        return sql.size();  // unclosed: the rest is comment, as for SQL Server
    }
    return i;
}

/// True when `word` is one of `list`, compared case-insensitively.
template <std::size_t N>
bool is_one_of(std::string_view word, const std::string_view (&list)[N]) noexcept {
    for (const auto candidate : list) {
        if (same_word(word, candidate)) return true;
    }
    return false;
}

/// Statement keywords a batch may start with; any other first word is a procedure call.
bool starts_a_statement(std::string_view word) noexcept {
    static constexpr std::string_view keywords[] = {
        "SELECT", "INSERT", "UPDATE", "DELETE", "MERGE",    "WITH",    "DECLARE", "SET",
        "IF",     "BEGIN",  "COMMIT", "ROLLBACK", "SAVE",   "WAITFOR", "WHILE",   "RETURN",
        "PRINT",  "THROW",  "CREATE", "DROP",   "TRUNCATE", "VALUES"};
    return is_one_of(word, keywords);
}

/// Words after which a statement may have changed what the next lease would see.
bool changes_session(std::string_view word) noexcept {
    static constexpr std::string_view words[] = {
        "BEGIN",     "COMMIT",     "ROLLBACK",  "SAVE",      "TRAN",          "TRANSACTION",
        "WORK",      "IMPLICIT_TRANSACTIONS",   "ANSI_DEFAULTS", "CONTEXT_INFO", "INSERT",
        "UPDATE",    "DELETE",     "MERGE",     "INTO",      "TRUNCATE",      "CREATE",
        "ALTER",     "DROP",       "GRANT",     "DENY",      "REVOKE",        "BULK",
        "WRITETEXT", "UPDATETEXT", "ENABLE",    "DISABLE",   "OPEN",          "CLOSE",
        "FETCH",     "DEALLOCATE", "REVERT",    "OPENQUERY", "OPENROWSET",    "OPENDATASOURCE"};
    return is_one_of(word, words);
}

/// A word that starts with a digit is a number only as [0-9]+([eE][0-9]*)? or 0x[hex]*
/// ('.', '+' and '-' already split words). Anything else ("1DELETE") is a number glued
/// to a keyword, which SQL Server reads as two tokens.
bool is_plain_number(std::string_view word) noexcept {
    std::size_t i = 0;
    if (word.size() >= 2 && word[0] == '0' && (word[1] == 'x' || word[1] == 'X')) {
        for (i = 2; i < word.size(); ++i) {
            if (!std::isxdigit(static_cast<unsigned char>(word[i]))) return false;
        }
        return true;
    }
    while (i < word.size() && std::isdigit(static_cast<unsigned char>(word[i]))) ++i;
    if (i < word.size() && (word[i] == 'e' || word[i] == 'E')) ++i;
    while (i < word.size() && std::isdigit(static_cast<unsigned char>(word[i]))) ++i;
    return i == word.size();
}

/// Text the scanner cannot read as SQL Server would, so it proves nothing: a byte outside
/// ASCII outside literals (SQL Server may take it as white space between two keywords), a
/// carriage return without its line feed (it may end a -- comment), a number glued to a word.
bool scanner_unsure(std::string_view sql) noexcept {
    for (std::size_t cr = sql.find('\r'); cr != std::string_view::npos; cr = sql.find('\r', cr + 1)) {
        if (cr + 1 == sql.size() || sql[cr + 1] != '\n') return true;  // also inside a comment
    }
    for (std::size_t i = 0; i < sql.size();) {
        if (const auto past = skip_quoted(sql, i); past != i) {
            i = past;
            continue;
        }
        const auto c = static_cast<unsigned char>(sql[i]);
        if (c >= 0x80) return true;
        if (std::isdigit(c) && (i == 0 || !is_word_char(sql[i - 1]))) {
            std::size_t end = i;
            while (end < sql.size() && is_word_char(sql[end])) ++end;
            if (!is_plain_number(sql.substr(i, end - i))) return true;
            i = end;
            continue;
        }
        ++i;
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

/// True when the batch's first token (after blanks and comments) is a [bracketed] or
/// "quoted" name: SQL Server runs a batch's first statement as a procedure call without EXEC.
bool starts_with_quoted_name(std::string_view sql) noexcept {
    for (std::size_t i = 0; i < sql.size();) {
        const char c = sql[i];
        if (c == '[' || c == '"') return true;
        if (c == '\'') return false;
        if (std::isspace(static_cast<unsigned char>(c))) {
            ++i;
            continue;
        }
        const auto past = skip_quoted(sql, i);
        if (past == i) return false;  // a word or a symbol
        i = past;                     // a comment
    }
    return false;
}

/// Statements whose effect outlives the request and that the lease-end reset cannot undo:
/// procedure calls, cursors, keys opened for the session, SETUSER, DBCC (trace flags).
bool leaves_what_reset_cannot_clear(std::string_view word, std::string_view previous) noexcept {
    static constexpr std::string_view words[] = {"EXEC", "EXECUTE", "CURSOR", "SETUSER", "DBCC"};
    if (is_one_of(word, words)) return true;
    // OPEN SYMMETRIC KEY / OPEN MASTER KEY: keys stay open until CLOSE or logout.
    return same_word(previous, "OPEN") && (same_word(word, "SYMMETRIC") || same_word(word, "MASTER"));
}

bool scan_leaves(std::string_view sql) noexcept {
    if (starts_with_quoted_name(sql)) return true;
    bool first_word = true;
    std::string_view previous;
    return any_word(sql, [&](std::string_view word) {
        if (leaves_what_reset_cannot_clear(word, previous)) return true;
        const bool procedure_call = first_word && !starts_a_statement(word);
        first_word = false;
        previous = word;
        return procedure_call;
    });
}

struct session_effects {
    bool leaves = false;   ///< may_leave_session_state
    bool changes = false;  ///< may_change_session_state
};

struct text_hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view text) const noexcept { return std::hash<std::string_view>{}(text); }
};

/// The scan of `sql`, remembered per thread: a route sends the same text on every request,
/// and scanning it word by word cost more than looking it up.
session_effects effects_of(std::string_view sql) noexcept {
    constexpr std::size_t max_remembered = 512;
    thread_local std::unordered_map<std::string, session_effects, text_hash, std::equal_to<>> remembered;
    if (const auto found = remembered.find(sql); found != remembered.end()) return found->second;
    session_effects effects;
    effects.leaves = scan_leaves(sql);
    effects.changes = effects.leaves || scanner_unsure(sql) || any_word(sql, changes_session);
    try {
        if (remembered.size() >= max_remembered) remembered.clear();
        remembered.emplace(std::string(sql), effects);
    } catch (...) {  // out of memory: the answer stands, it is only not remembered
    }
    return effects;
}

}  // namespace

bool may_change_session_state(std::string_view sql) noexcept { return effects_of(sql).changes; }

bool may_leave_session_state(std::string_view sql) noexcept { return effects_of(sql).leaves; }

}  // namespace tds_pool
