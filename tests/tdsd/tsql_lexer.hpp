#pragma once
// A T-SQL tokenizer for the rewriter: literals, delimited identifiers and comments are
// recognised as wholes so that nothing inside them is ever taken for a keyword.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tdsd {

/// The lexical classes the rewriter tells apart.
enum class tsql_token_kind {
  word,                // keyword or bare identifier: SELECT, Tenants, 東京
  quoted_identifier,   // "name" (kept as written)
  bracket_identifier,  // [name] (rendered as "name")
  string,              // 'text' with '' escapes
  unicode_string,      // N'text' (rendered without the N)
  number,              // 42, 1.5, 2e10
  binary,              // 0x1F (rendered as X'1F')
  variable,            // @name
  system_variable,     // @@NAME
  temp_name,           // #temp or ##global
  symbol,              // ( ) , ; . = <> >= ...
  raw,                 // SQLite text produced by a rewrite, emitted as is
};

/// One significant token; comments and whitespace only set `space_before` on the next.
struct tsql_token {
  tsql_token_kind kind = tsql_token_kind::symbol;
  std::string text;  // as written, delimiters included
  bool space_before = false;
};

/// The tokens of a text, or why it cannot be tokenized (unterminated literal or comment).
struct tsql_lex_result {
  std::vector<tsql_token> tokens;
  std::optional<std::string> error;
};

/// Splits T-SQL into tokens; never fails on odd bytes (they become one-byte symbols).
tsql_lex_result lex_tsql(std::string_view text);

/// True when `token` is the bare word `keyword`, compared case-insensitively (ASCII).
bool is_word(const tsql_token& token, std::string_view keyword);

/// True when `token` is the symbol `symbol`.
bool is_symbol(const tsql_token& token, std::string_view symbol);

/// The ASCII upper-case form of `text`.
std::string upper_ascii(std::string_view text);

/// The SQLite spelling of one token (brackets become double quotes, N'' loses its N...).
std::string render_token(const tsql_token& token);

/// The SQLite text of a token sequence, spaced as the source was.
std::string render_tokens(const std::vector<tsql_token>& tokens);

}  // namespace tdsd
