#include "gateway/http/head_text.hpp"

#include <boost/beast/http/status.hpp>

namespace gateway {

namespace {

void append_status_line(const http::response_header<>& header, std::string& out) {
    out += header.version() == 10 ? "HTTP/1.0 " : "HTTP/1.1 ";
    out += std::to_string(header.result_int());
    out += ' ';
    const auto reason = header.reason();
    if (reason.empty()) {
        const auto standard = http::obsolete_reason(header.result());
        out.append(standard.data(), standard.size());
    } else {
        out.append(reason.data(), reason.size());
    }
    out += "\r\n";
}

template <bool is_request>
void append_fields(const http::header<is_request>& header, std::string& out) {
    for (const auto& field : header) {
        const auto name = field.name_string();
        const auto value = field.value();
        out.append(name.data(), name.size());
        out += ": ";
        out.append(value.data(), value.size());
        out += "\r\n";
    }
    out += "\r\n";
}

}  // namespace

void append_head_text(const http::response_header<>& header, std::string& out) {
    append_status_line(header, out);
    append_fields(header, out);
}

void append_head_text(const http::request_header<>& header, std::string& out) {
    const auto method = header.method_string();
    const auto target = header.target();
    out.append(method.data(), method.size());
    out += ' ';
    out.append(target.data(), target.size());
    out += header.version() == 10 ? " HTTP/1.0\r\n" : " HTTP/1.1\r\n";
    append_fields(header, out);
}

}  // namespace gateway
