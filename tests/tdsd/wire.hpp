#pragma once
// Little-endian byte buffers for building and parsing TDS payloads.
#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace tdsd {

/// A malformed client message: the connection is closed and the reason logged.
struct protocol_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// Appends TDS primitives (little-endian unless named otherwise) to a byte vector.
class byte_writer {
 public:
  /// Appends one byte.
  void u8(std::uint8_t v) { buf_.push_back(v); }
  /// Appends a little-endian 16-bit value.
  void u16(std::uint16_t v);
  /// Appends a little-endian 32-bit value.
  void u32(std::uint32_t v);
  /// Appends a little-endian 64-bit value.
  void u64(std::uint64_t v);
  /// Appends the low `n` bytes of `v`, little-endian.
  void uint_n(std::uint64_t v, int n);
  /// Appends raw bytes.
  void bytes(std::string_view b) { buf_.insert(buf_.end(), b.begin(), b.end()); }
  /// Appends raw bytes.
  void bytes(std::span<const std::uint8_t> b) { buf_.insert(buf_.end(), b.begin(), b.end()); }
  /// B_VARCHAR: 1-byte length in UTF-16 units, then UTF-16LE (text is UTF-8).
  void b_varchar(std::string_view utf8);
  /// UTF-16LE of UTF-8 text, no length; returns the bytes appended.
  std::size_t utf16le(std::string_view utf8);
  /// US_VARCHAR: 2-byte length in UTF-16 units, then UTF-16LE (text is UTF-8).
  void us_varchar(std::string_view utf8);
  /// Overwrites a little-endian 16-bit value at `pos` (token lengths known afterwards).
  void patch_u16(std::size_t pos, std::uint16_t v);
  /// Current size in bytes.
  std::size_t size() const { return buf_.size(); }
  /// The bytes written so far.
  std::vector<std::uint8_t>& data() { return buf_; }

 private:
  std::vector<std::uint8_t> buf_;
};

/// Bounds-checked little-endian reader over a client payload; throws protocol_error.
class byte_reader {
 public:
  /// Reads from `data`, which must outlive the reader.
  explicit byte_reader(std::span<const std::uint8_t> data) : data_(data) {}
  /// Reads one byte.
  std::uint8_t u8();
  /// Reads a little-endian 16-bit value.
  std::uint16_t u16();
  /// Reads a little-endian 32-bit value.
  std::uint32_t u32();
  /// Reads a little-endian 64-bit value.
  std::uint64_t u64();
  /// Reads `n` bytes as a little-endian unsigned integer.
  std::uint64_t uint_n(std::size_t n);
  /// Reads `n` raw bytes.
  std::span<const std::uint8_t> take(std::size_t n);
  /// Reads `chars` UTF-16 units and returns them as UTF-8.
  std::string utf16(std::size_t chars);
  /// Skips `n` bytes.
  void skip(std::size_t n) { take(n); }
  /// Bytes not read yet.
  std::size_t remaining() const { return data_.size() - pos_; }
  /// Current offset.
  std::size_t position() const { return pos_; }
  /// Moves to an absolute offset.
  void seek(std::size_t pos);

 private:
  std::span<const std::uint8_t> data_;
  std::size_t pos_ = 0;
};

}  // namespace tdsd
