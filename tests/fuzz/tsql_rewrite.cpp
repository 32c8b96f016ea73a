// Fuzz target: tdsd's T-SQL -> SQLite rewriter and its GO batch splitter. Any text must
// be rewritten or refused with an error value (the splitter refuses a GO count above its
// limit with std::runtime_error); any other exception is a finding.
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string_view>

#include "tests/tdsd/tsql_rewrite.hpp"

/// libFuzzer entry point: one input per call.
extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    (void)tdsd::rewrite_tsql(text);
    try {
        (void)tdsd::split_go_batches(text);
    } catch (const std::runtime_error&) {
        // GO n with n above the limit: the init script is refused
    }
    return 0;
}
