#include "tests/tdsd/code_page.hpp"

#include <iconv.h>

#include <cerrno>
#include <cstdint>

namespace tdsd {
namespace {

// iconv descriptors are not thread-safe: one per call (workers convert concurrently).
class converter {
 public:
  converter(const char* to, const char* from) : cd_(iconv_open(to, from)) {}
  ~converter() {
    if (cd_ != reinterpret_cast<iconv_t>(-1)) iconv_close(cd_);
  }
  converter(const converter&) = delete;
  converter& operator=(const converter&) = delete;

  // Converts `in`; an input sequence the target cannot hold becomes `replacement`.
  std::string run(std::string_view in, std::string_view replacement, std::size_t skip) {
    std::string out;
    if (cd_ == reinterpret_cast<iconv_t>(-1)) return std::string(in);
    char* src = const_cast<char*>(in.data());
    std::size_t left = in.size();
    char buffer[4096];
    while (left > 0) {
      char* dst = buffer;
      std::size_t room = sizeof buffer;
      const std::size_t rc = iconv(cd_, &src, &left, &dst, &room);
      out.append(buffer, static_cast<std::size_t>(dst - buffer));
      if (rc != static_cast<std::size_t>(-1) || errno == E2BIG) continue;
      // EILSEQ / EINVAL: replace one character and carry on.
      out += replacement;
      std::size_t n = 1;
      if (skip == 0) {  // UTF-8 input: skip the whole sequence
        while (n < left && (static_cast<unsigned char>(src[n]) & 0xC0) == 0x80) ++n;
      }
      src += n;
      left -= n;
    }
    return out;
  }

 private:
  iconv_t cd_;
};

}  // namespace

std::string utf8_to_cp1252(std::string_view utf8) { return converter("CP1252", "UTF-8").run(utf8, "?", 0); }

std::string cp1252_to_utf8(std::span<const std::uint8_t> bytes) {
  std::string out;
  out.reserve(bytes.size());
  converter c("UTF-8", "CP1252");
  for (const auto b : bytes) {
    // glibc leaves 0x81, 0x8D, 0x8F, 0x90, 0x9D unassigned; Windows maps them to C1 controls.
    const char ch = static_cast<char>(b);
    const std::string one = c.run(std::string_view(&ch, 1), "", 1);
    if (!one.empty()) {
      out += one;
    } else {
      out.push_back(static_cast<char>(0xC0 | (b >> 6)));
      out.push_back(static_cast<char>(0x80 | (b & 0x3F)));
    }
  }
  return out;
}

std::size_t cp1252_length(std::string_view utf8) {
  std::size_t n = 0;
  for (const char c : utf8) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return n;
}

}  // namespace tdsd
