// conf::load_file / load_string: YAML text to a validated conf::config.
#include "conf/loader.hpp"

#include <fmt/format.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/parser.h>

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

/// Records where the root node of each document starts (the mark a YAML::Node gets).
class document_roots : public YAML::EventHandler {
public:
    std::vector<YAML::Mark> marks;

    void OnDocumentStart(const YAML::Mark&) override { awaiting_root_ = true; }
    void OnDocumentEnd() override {}
    void OnNull(const YAML::Mark& mark, YAML::anchor_t) override { node(mark); }
    void OnAlias(const YAML::Mark& mark, YAML::anchor_t) override { node(mark); }
    void OnScalar(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                  const std::string&) override {
        node(mark);
    }
    void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                         YAML::EmitterStyle::value) override {
        node(mark);
    }
    void OnSequenceEnd() override {}
    void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                    YAML::EmitterStyle::value) override {
        node(mark);
    }
    void OnMapEnd() override {}

private:
    void node(const YAML::Mark& mark) {
        if (awaiting_root_) marks.push_back(mark);
        awaiting_root_ = false;
    }
    bool awaiting_root_ = false;
};

/// Refuses a second document. At most three documents are parsed: yaml-cpp 0.7 reports
/// a stray token such as ',' as an empty document again and again without consuming it,
/// so YAML::LoadAll never returns (yaml-cpp issue 1040). A document that starts where the
/// one before it did is that token.
void check_single_document(const std::string& text, std::string_view name) {
    std::istringstream stream(text);
    YAML::Parser parser(stream);
    document_roots roots;
    for (int document = 0; document < 3 && parser.HandleNextDocument(roots); ++document) {
    }
    const auto& marks = roots.marks;
    for (std::size_t i = 1; i < marks.size(); ++i) {
        if (marks[i].pos == marks[i - 1].pos) {
            throw config_error(located(name, marks[i], "YAML syntax error: unexpected character"));
        }
    }
    if (marks.size() > 1) {
        throw config_error(
            located(name, marks[1], "only one YAML document is allowed (found a second '---')"));
    }
}

}  // namespace

config load_string(std::string_view yaml_text, std::string_view name) {
    YAML::Node root;
    try {
        const std::string text(yaml_text);
        check_single_document(text, name);
        root = YAML::Load(text);
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
