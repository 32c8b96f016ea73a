#include "tests/tdsd/tsql_lexer.hpp"

#include <array>
#include <cctype>

namespace tdsd {

namespace {

bool is_ascii_alpha(char c) { return std::isalpha(static_cast<unsigned char>(c)) != 0; }
bool is_ascii_digit(char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; }
bool is_space(char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; }

// Bytes of multi-byte UTF-8 sequences count as letters, so 東京 is one identifier.
bool starts_word(char c) { return is_ascii_alpha(c) || c == '_' || static_cast<unsigned char>(c) >= 0x80; }
bool continues_word(char c) {
  return starts_word(c) || is_ascii_digit(c) || c == '$' || c == '@' || c == '#';
}

/// Walks the text once; each scan_* member consumes one token starting at pos_.
class lexer {
 public:
  explicit lexer(std::string_view text) : text_(text) {}

  tsql_lex_result run() {
    while (pos_ < text_.size() && !result_.error) {
      if (!skip_space_or_comment()) scan_token();
    }
    return std::move(result_);
  }

 private:
  char peek(std::size_t ahead = 0) const {
    return pos_ + ahead < text_.size() ? text_[pos_ + ahead] : '\0';
  }

  bool skip_space_or_comment() {
    if (is_space(peek())) {
      ++pos_;
    } else if (peek() == '-' && peek(1) == '-') {
      while (pos_ < text_.size() && text_[pos_] != '\n') ++pos_;
    } else if (peek() == '/' && peek(1) == '*') {
      skip_block_comment();
    } else {
      return false;
    }
    pending_space_ = true;
    return true;
  }

  // T-SQL block comments nest: /* a /* b */ c */ is one comment.
  void skip_block_comment() {
    int depth = 0;
    while (pos_ < text_.size()) {
      if (peek() == '/' && peek(1) == '*') {
        ++depth;
        pos_ += 2;
      } else if (peek() == '*' && peek(1) == '/') {
        pos_ += 2;
        if (--depth == 0) return;
      } else {
        ++pos_;
      }
    }
    result_.error = "unterminated /* comment";
  }

  void emit(tsql_token_kind kind, std::size_t start) {
    result_.tokens.push_back(
        tsql_token{kind, std::string(text_.substr(start, pos_ - start)), pending_space_});
    pending_space_ = false;
  }

  // Consumes a literal closed by `close`, where a doubled `close` is an escaped one.
  bool scan_delimited(char close) {
    ++pos_;
    while (pos_ < text_.size()) {
      if (text_[pos_] == close) {
        if (peek(1) != close) {
          ++pos_;
          return true;
        }
        ++pos_;
      }
      ++pos_;
    }
    return false;
  }

  void scan_literal(tsql_token_kind kind, char close, const char* what) {
    const auto start = pos_;
    if (kind == tsql_token_kind::unicode_string) ++pos_;
    if (!scan_delimited(close)) {
      result_.error = std::string("unterminated ") + what;
      return;
    }
    emit(kind, start);
  }

  void scan_word_like(tsql_token_kind kind, std::size_t prefix) {
    const auto start = pos_;
    pos_ += prefix;
    while (pos_ < text_.size() && continues_word(text_[pos_])) ++pos_;
    emit(kind, start);
  }

  void scan_number() {
    const auto start = pos_;
    if (peek() == '0' && (peek(1) == 'x' || peek(1) == 'X')) {
      pos_ += 2;
      while (std::isxdigit(static_cast<unsigned char>(peek())) != 0) ++pos_;
      emit(tsql_token_kind::binary, start);
      return;
    }
    while (is_ascii_digit(peek())) ++pos_;
    if (peek() == '.') {
      ++pos_;
      while (is_ascii_digit(peek())) ++pos_;
    }
    const bool exponent = (peek() == 'e' || peek() == 'E') &&
                          (is_ascii_digit(peek(1)) ||
                           ((peek(1) == '+' || peek(1) == '-') && is_ascii_digit(peek(2))));
    if (exponent) {
      pos_ += 2;
      while (is_ascii_digit(peek())) ++pos_;
    }
    emit(tsql_token_kind::number, start);
  }

  void scan_symbol() {
    static constexpr std::array<std::string_view, 12> two_char{
        "<=", ">=", "<>", "!=", "!<", "!>", "||", "+=", "-=", "*=", "/=", "::"};
    const auto start = pos_;
    const auto rest = text_.substr(pos_);
    pos_ += 1;
    for (const auto op : two_char) {
      if (rest.starts_with(op)) {
        pos_ = start + 2;
        break;
      }
    }
    emit(tsql_token_kind::symbol, start);
  }

  void scan_token() {
    const char c = peek();
    if (c == '\'') {
      scan_literal(tsql_token_kind::string, '\'', "string literal");
    } else if ((c == 'N' || c == 'n') && peek(1) == '\'') {
      scan_literal(tsql_token_kind::unicode_string, '\'', "string literal");
    } else if (c == '"') {
      scan_literal(tsql_token_kind::quoted_identifier, '"', "quoted identifier");
    } else if (c == '[') {
      scan_literal(tsql_token_kind::bracket_identifier, ']', "[identifier]");
    } else if (c == '@' && peek(1) == '@' && continues_word(peek(2))) {
      scan_word_like(tsql_token_kind::system_variable, 2);
    } else if (c == '@' && continues_word(peek(1))) {
      scan_word_like(tsql_token_kind::variable, 1);
    } else if (c == '#' && continues_word(peek(1))) {
      scan_word_like(tsql_token_kind::temp_name, 1);
    } else if (starts_word(c)) {
      scan_word_like(tsql_token_kind::word, 0);
    } else if (is_ascii_digit(c) || (c == '.' && is_ascii_digit(peek(1)))) {
      scan_number();
    } else {
      scan_symbol();
    }
  }

  std::string_view text_;
  std::size_t pos_ = 0;
  bool pending_space_ = false;
  tsql_lex_result result_;
};

// "a""b" stays as written; [a]]b"c] becomes "a]b""c".
std::string bracket_to_quoted(std::string_view text) {
  std::string out = "\"";
  const auto inner = text.substr(1, text.size() - 2);
  for (std::size_t i = 0; i < inner.size(); ++i) {
    if (inner[i] == ']' && i + 1 < inner.size() && inner[i + 1] == ']') ++i;
    if (inner[i] == '"') out.push_back('"');
    out.push_back(inner[i]);
  }
  out.push_back('"');
  return out;
}

}  // namespace

tsql_lex_result lex_tsql(std::string_view text) { return lexer(text).run(); }

std::string upper_ascii(std::string_view text) {
  std::string out(text);
  for (auto& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

bool is_word(const tsql_token& token, std::string_view keyword) {
  if (token.kind != tsql_token_kind::word || token.text.size() != keyword.size()) return false;
  for (std::size_t i = 0; i < keyword.size(); ++i) {
    if (std::toupper(static_cast<unsigned char>(token.text[i])) !=
        std::toupper(static_cast<unsigned char>(keyword[i]))) {
      return false;
    }
  }
  return true;
}

bool is_symbol(const tsql_token& token, std::string_view symbol) {
  return token.kind == tsql_token_kind::symbol && token.text == symbol;
}

std::string render_token(const tsql_token& token) {
  switch (token.kind) {
    case tsql_token_kind::bracket_identifier:
      return bracket_to_quoted(token.text);
    case tsql_token_kind::unicode_string:
      return token.text.substr(1);
    case tsql_token_kind::binary: {
      // T-SQL reads 0x1 as 0x01: an odd digit count gets a leading zero.
      const auto digits = token.text.substr(2);
      return "X'" + std::string(digits.size() % 2 == 1 ? "0" : "") + digits + "'";
    }
    default:
      return token.text;
  }
}

std::string render_tokens(const std::vector<tsql_token>& tokens) {
  std::string out;
  for (const auto& token : tokens) {
    if (token.space_before && !out.empty()) out.push_back(' ');
    out += render_token(token);
  }
  return out;
}

}  // namespace tdsd
