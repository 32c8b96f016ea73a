#include "tests/tdsd/decimal_text.hpp"

#include <algorithm>
#include <cctype>
#include <cstdlib>

namespace tdsd {
namespace {

constexpr unsigned max_digits = 38;

// Sign, digits before and after the point, decimal exponent: the parts of a number text.
struct decimal_parts {
  bool negative = false;
  std::string digits;  // integer and fraction digits together
  int point = 0;       // how many of `digits` come before the point (after the exponent)
};

std::optional<decimal_parts> split_number(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  decimal_parts p;
  std::size_t i = 0;
  if (i < s.size() && (s[i] == '-' || s[i] == '+')) p.negative = s[i++] == '-';
  bool any = false, seen_point = false;
  for (; i < s.size(); ++i) {
    const char c = s[i];
    if (std::isdigit(static_cast<unsigned char>(c))) {
      p.digits.push_back(c);
      if (!seen_point) ++p.point;
      any = true;
    } else if (c == '.' && !seen_point) {
      seen_point = true;
    } else {
      break;
    }
  }
  if (!any) return std::nullopt;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    char* end = nullptr;
    const std::string exponent(s.substr(i + 1));
    const long e = std::strtol(exponent.c_str(), &end, 10);
    if (end == exponent.c_str() || *end != '\0' || e > 100 || e < -100) return std::nullopt;
    p.point += static_cast<int>(e);
    i = s.size();
  }
  if (i != s.size()) return std::nullopt;
  return p;
}

// Integer digits without leading zeros, fraction digits without trailing zeros: two
// numbers of one sign compare as (length of integer, integer text, fraction text).
struct canonical_digits {
  std::string integer;
  std::string fraction;
  bool is_zero() const { return integer.empty() && fraction.empty(); }
};

canonical_digits canonical(const decimal_parts& p) {
  canonical_digits out;
  const auto size = static_cast<int>(p.digits.size());
  for (int i = std::min(0, p.point); i < std::max(size, p.point); ++i) {
    const char c = i >= 0 && i < size ? p.digits[static_cast<std::size_t>(i)] : '0';
    if (i < p.point) {
      if (!out.integer.empty() || c != '0') out.integer.push_back(c);
    } else {
      out.fraction.push_back(c);
    }
  }
  while (!out.fraction.empty() && out.fraction.back() == '0') out.fraction.pop_back();
  return out;
}

}  // namespace

std::optional<scaled_decimal> parse_decimal(std::string_view text, unsigned scale) {
  const auto parts = split_number(text);
  if (!parts) return std::nullopt;
  scaled_decimal out;
  out.negative = parts->negative;
  const int keep = parts->point + static_cast<int>(scale);  // digits that stay left of the cut
  for (int i = 0; i < keep; ++i) {
    const char c = i < static_cast<int>(parts->digits.size()) ? parts->digits[static_cast<std::size_t>(i)] : '0';
    out.magnitude = out.magnitude * 10 + static_cast<unsigned>(c - '0');
    if (digit_count(out.magnitude) > max_digits) return std::nullopt;
  }
  if (keep >= 0 && keep < static_cast<int>(parts->digits.size()) && parts->digits[static_cast<std::size_t>(keep)] >= '5') {
    ++out.magnitude;
  }
  if (digit_count(out.magnitude) > max_digits) return std::nullopt;
  if (out.magnitude == 0) out.negative = false;
  return out;
}

std::string format_decimal(const scaled_decimal& value, unsigned scale) {
  std::string digits;
  uint128 v = value.magnitude;
  do {
    digits.push_back(static_cast<char>('0' + static_cast<int>(v % 10)));
    v /= 10;
  } while (v != 0);
  while (digits.size() <= scale) digits.push_back('0');
  std::reverse(digits.begin(), digits.end());
  std::string out;
  if (value.negative && value.magnitude != 0) out.push_back('-');
  out.append(digits, 0, digits.size() - scale);
  if (scale > 0) {
    out.push_back('.');
    out.append(digits, digits.size() - scale, scale);
  }
  return out;
}

unsigned digit_count(uint128 v) {
  unsigned n = 1;
  while (v >= 10) {
    v /= 10;
    ++n;
  }
  return n;
}

int compare_decimal_text(std::string_view a, std::string_view b) {
  const auto pa = split_number(a);
  const auto pb = split_number(b);
  if (!pa || !pb) {
    if (pa || pb) return pa ? -1 : 1;
    return a.compare(b);
  }
  const auto ca = canonical(*pa);
  const auto cb = canonical(*pb);
  const bool neg_a = pa->negative && !ca.is_zero();
  const bool neg_b = pb->negative && !cb.is_zero();
  if (neg_a != neg_b) return neg_a ? -1 : 1;
  int c = 0;
  if (ca.integer.size() != cb.integer.size()) {
    c = ca.integer.size() < cb.integer.size() ? -1 : 1;
  } else {
    c = ca.integer.compare(cb.integer);
    if (c == 0) c = ca.fraction.compare(cb.fraction);
  }
  const int sign = c < 0 ? -1 : c > 0 ? 1 : 0;
  return neg_a ? -sign : sign;
}

}  // namespace tdsd
