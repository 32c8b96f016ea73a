// conf::load_file / load_string: YAML text to a validated conf::config.
#include "conf/loader.hpp"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <vector>

#include "conf/parse_sections.hpp"
#include "conf/yaml_reader.hpp"

namespace conf {

namespace {

/// "file:line:col: message" with yaml-cpp's 0-based mark printed 1-based.
std::string located(std::string_view name, const YAML::Mark& mark, std::string_view message) {
    if (mark.is_null()) {
        return fmt::format("{}: {}", name, message);
    }
    return fmt::format("{}:{}:{}: {}", name, mark.line + 1, mark.column + 1, message);
}

}  // namespace

config load_string(std::string_view yaml_text, std::string_view name) {
    YAML::Node root;
    try {
        // LoadAll, not Load: a second "---" document would otherwise be dropped unseen.
        const std::vector<YAML::Node> documents = YAML::LoadAll(std::string(yaml_text));
        if (documents.size() > 1) {
            throw config_error(located(name, documents[1].Mark(),
                                       "only one YAML document is allowed (found a second '---')"));
        }
        if (!documents.empty()) {
            root = documents.front();
        }
    } catch (const YAML::ParserException& e) {
        throw config_error(located(name, e.mark, "YAML syntax error: " + e.msg));
    } catch (const YAML::Exception& e) {
        throw config_error(located(name, e.mark, e.msg));
    }
    try {
        config out = parse_config(root);
        out.source_path = std::string(name);
        return out;
    } catch (const node_error& e) {
        throw config_error(located(name, e.mark(), e.what()));
    } catch (const YAML::Exception& e) {
        // Not expected from our reads, but a yaml-cpp surprise must still be a config error.
        throw config_error(located(name, e.mark, e.msg));
    }
}

config load_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        throw config_error(fmt::format("{}: cannot open: {}", path, std::strerror(errno)));
    }
    std::ostringstream text;
    text << in.rdbuf();
    if (in.bad()) {
        throw config_error(fmt::format("{}: cannot read", path));
    }
    return load_string(text.str(), path);
}

}  // namespace conf
