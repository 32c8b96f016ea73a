#include "conf/value_pattern.hpp"

#include <re2/re2.h>

namespace conf {

namespace {

re2::RE2::Options pattern_options() {
    re2::RE2::Options options;
    options.set_encoding(re2::RE2::Options::EncodingUTF8);
    options.set_log_errors(false);  // errors are reported at load with file:line:col
    options.set_max_mem(value_pattern::max_memory);
    return options;
}

}  // namespace

value_pattern::value_pattern(std::string text, std::shared_ptr<const re2::RE2> compiled)
    : text_(std::move(text)), compiled_(std::move(compiled)) {}

std::variant<value_pattern, std::string> value_pattern::compile(std::string_view text) {
    auto compiled = std::make_shared<const re2::RE2>(re2::StringPiece(text.data(), text.size()),
                                                     pattern_options());
    if (!compiled->ok()) return compiled->error();
    return value_pattern(std::string(text), std::move(compiled));
}

bool value_pattern::full_match(std::string_view value) const {
    return re2::RE2::FullMatch(re2::StringPiece(value.data(), value.size()), *compiled_);
}

}  // namespace conf
