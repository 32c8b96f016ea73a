#include "gateway/telemetry/json_text.hpp"

namespace gateway {

namespace {

bool needs_escape(unsigned char c) { return c < 0x20 || c == '"' || c == '\\'; }

void append_escape(std::string& out, unsigned char c) {
    static constexpr char hex[] = "0123456789abcdef";
    switch (c) {
    case '"': out += "\\\""; return;
    case '\\': out += "\\\\"; return;
    case '\b': out += "\\b"; return;
    case '\t': out += "\\t"; return;
    case '\n': out += "\\n"; return;
    case '\f': out += "\\f"; return;
    case '\r': out += "\\r"; return;
    default: break;
    }
    const char code[] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
    out.append(code, sizeof code);
}

}  // namespace

void append_json_string(std::string& out, std::string_view text) {
    out += '"';
    const char* run = text.data();
    const char* const end = text.data() + text.size();
    for (const char* p = run; p != end; ++p) {
        const auto c = static_cast<unsigned char>(*p);
        if (!needs_escape(c)) continue;
        out.append(run, p);
        append_escape(out, c);
        run = p + 1;
    }
    out.append(run, end);
    out += '"';
}

}  // namespace gateway
