// Fuzz target: tdsd's T-SQL -> SQLite rewriter and its GO batch splitter. Any text must
// be rewritten or refused with an error value; an exception is a finding.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "tests/tdsd/tsql_rewrite.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    (void)tdsd::rewrite_tsql(text);
    (void)tdsd::split_go_batches(text);
    return 0;
}
