// Fuzz target: the YAML configuration loader (conf::load_string). Any text must either
// load or be refused with conf::config_error; every other exception is a finding.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "conf/loader.hpp"

/// libFuzzer entry point: one input per call.
extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    try {
        conf::load_string(text, "fuzz.yaml");
    } catch (const conf::config_error&) {
    }
    return 0;
}
