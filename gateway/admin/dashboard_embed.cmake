# Writes OUTPUT, a C++ file defining gateway::dashboard_html(), from the bytes of INPUT.
# Run as `cmake -DINPUT=... -DOUTPUT=... -P dashboard_embed.cmake`. A byte array rather
# than a string literal: literals longer than 4095 characters are a -Wpedantic warning.
file(READ "${INPUT}" hex HEX)
string(LENGTH "${hex}" hex_length)
math(EXPR size "${hex_length} / 2")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
string(REGEX REPLACE "(0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,)" "\\1\n"
       bytes "${bytes}")
file(WRITE "${OUTPUT}.tmp"
"// Generated from gateway/admin/dashboard.html by gateway/admin/dashboard_embed.cmake. Do not edit.
#include \"gateway/admin/dashboard_page.hpp\"

namespace gateway {

namespace {
const unsigned char page[${size} + 1] = {
${bytes}0x00};
}  // namespace

std::string_view dashboard_html() noexcept {
    return {reinterpret_cast<const char*>(page), ${size}};
}

}  // namespace gateway
")
# Only replace the file when it changed, so an unchanged page does not rebuild.
execute_process(COMMAND ${CMAKE_COMMAND} -E copy_if_different "${OUTPUT}.tmp" "${OUTPUT}")
file(REMOVE "${OUTPUT}.tmp")
