// Parsing of `routes:` and their SQL parameters.
#include <algorithm>
#include <cctype>
#include <map>
#include <optional>
#include <set>
#include <variant>

#include "conf/parse_sections.hpp"
#include "conf/route_path.hpp"
#include "conf/value_pattern.hpp"
#include "conf/yaml_reader.hpp"

namespace conf {

namespace {

param_type read_param_type(const YAML::Node& value) {
    return read_enum<param_type>(value, {{"int", param_type::int32},
                                         {"bigint", param_type::int64},
                                         {"number", param_type::number},
                                         {"bool", param_type::boolean},
                                         {"string", param_type::string},
                                         {"datetime", param_type::datetime},
                                         {"binary", param_type::binary},
                                         {"decimal", param_type::decimal},
                                         {"date", param_type::date},
                                         {"time", param_type::time},
                                         {"datetimeoffset", param_type::datetimeoffset},
                                         {"uuid", param_type::uuid}});
}

param_source read_param_source(const YAML::Node& value) {
    return read_enum<param_source>(value, {{"path", param_source::path},
                                           {"query", param_source::query},
                                           {"body", param_source::body},
                                           {"claim", param_source::claim}});
}

/// An RE2 pattern, compiled here once: a bad or unsupported one fails at start-up.
value_pattern read_pattern(const YAML::Node& value) {
    auto compiled = value_pattern::compile(read_string(value));
    if (auto* error = std::get_if<std::string>(&compiled)) {
        fail(value, "invalid regular expression (RE2 syntax, no backreferences or lookaround): " +
                        *error);
    }
    return std::get<value_pattern>(std::move(compiled));
}

}  // namespace

param_config parse_param(const YAML::Node& node) {
    param_config out;
    if (!node.IsMap()) {
        fail(node, "expected a mapping for a route parameter");
    }
    for_each_field(node, "route parameter", [&](std::string_view key, const YAML::Node& value) {
        if (key == "name") {
            out.name = read_string(value);
        } else if (key == "type") {
            out.type = read_param_type(value);
        } else if (key == "from") {
            out.source = read_param_source(value);
        } else if (key == "key") {
            out.key = read_string(value);
        } else if (key == "required") {
            out.required = read_bool(value);
        } else if (key == "default") {
            out.default_value = read_string(value);
        } else if (key == "min") {
            out.min = read_number(value);
        } else if (key == "max") {
            out.max = read_number(value);
        } else if (key == "max_length") {
            out.max_length = read_uint<std::size_t>(value);
        } else if (key == "pattern") {
            out.pattern = read_pattern(value);
        } else {
            return false;
        }
        return true;
    });
    if (!is_identifier(out.name)) {
        fail(at(node, "name"), "a route parameter needs a name made of A-Z, a-z, 0-9 and '_'");
    }
    if (out.min && out.max && *out.min > *out.max) {
        fail(at(node, "max"), "parameter " + out.name + ": min is greater than max");
    }
    return out;
}

namespace {

/// An HTTP method token, upper-cased; "*" stands for every method.
std::string read_method(const YAML::Node& value) {
    std::string method = read_string(value);
    const bool token =
        !method.empty() && std::all_of(method.begin(), method.end(),
                                       [](unsigned char c) { return std::isalpha(c) != 0; });
    if (!token && method != "*") {
        fail(value, "an HTTP method is a word such as GET or POST, or *");
    }
    std::transform(method.begin(), method.end(), method.begin(),
                   [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    return method;
}

std::vector<std::string> read_methods(const YAML::Node& value) {
    std::vector<std::string> methods;
    for (const YAML::Node& item : read_sequence(value)) {
        std::string method = read_method(item);
        if (std::find(methods.begin(), methods.end(), method) != methods.end()) {
            fail(item, "method " + method + " listed twice");
        }
        methods.push_back(std::move(method));
    }
    if (methods.empty()) {
        fail(value, "a route needs at least one method");
    }
    return methods;
}

route_kind read_route_kind(const YAML::Node& value) {
    return read_enum<route_kind>(value, {{"echo", route_kind::echo},
                                         {"sql", route_kind::sql},
                                         {"login", route_kind::login},
                                         {"proxy", route_kind::proxy}});
}

/// Fills one field of a route; false for an unknown key.
bool read_route_field(route_config& out, std::string_view key, const YAML::Node& value) {
    if (key == "methods") {
        out.methods = read_methods(value);
    } else if (key == "method") {
        out.methods = {read_method(value)};
    } else if (key == "path") {
        out.path = read_string(value);
    } else if (key == "kind") {
        out.kind = read_route_kind(value);
    } else if (key == "tenant_required") {
        out.tenant_required = read_bool(value);
    } else if (key == "auth") {
        out.auth_required = read_enum<bool>(value, {{"required", true}, {"none", false}});
    } else if (key == "sql") {
        out.sql = read_string(value);
    } else if (key == "params") {
        out.params.clear();
        for (const YAML::Node& item : read_sequence(value)) {
            out.params.push_back(parse_param(item));
        }
    } else if (key == "result") {
        out.result = read_enum<result_mode>(
            value,
            {{"many", result_mode::many}, {"one", result_mode::one}, {"exec", result_mode::exec}});
    } else if (key == "max_rows") {
        out.max_rows = read_uint<std::size_t>(value, 1);
    } else if (key == "query_timeout") {
        out.query_timeout = read_duration(value);
    } else if (key == "max_response_bytes") {
        out.max_response_bytes = read_uint<std::size_t>(value, 1);
    } else if (key == "max_cell_bytes") {
        out.max_cell_bytes = read_uint<std::size_t>(value, 1);
    } else if (key == "decimal_as") {
        out.decimal_as = read_number_form(value);
    } else if (key == "bigint_as") {
        out.bigint_as = read_number_form(value);
    } else if (key == "rate_limit") {
        out.rate_limit = parse_route_rate_limit(value);
    } else if (key == "upstream") {
        out.upstream = read_string(value);
    } else if (key == "strip_prefix") {
        out.strip_prefix = read_string(value);
    } else {
        return false;
    }
    return true;
}

/// Checks that a route's params have unique names and that path params are captured.
void check_route_params(const YAML::Node& node, const route_config& route,
                        const route_path_info& path_info) {
    const YAML::Node params = at(node, "params");
    std::set<std::string> names;
    for (std::size_t i = 0; i < route.params.size(); ++i) {
        const param_config& param = route.params[i];
        const YAML::Node where = params.IsSequence() ? at(params[i], "name") : params;
        if (!names.insert(param.name).second) {
            fail(where, "parameter " + param.name + " declared twice");
        }
        const std::string& key = param.key.empty() ? param.name : param.key;
        const bool captured = std::find(path_info.params.begin(), path_info.params.end(), key) !=
                              path_info.params.end();
        if (param.source == param_source::path && !captured) {
            fail(where, "parameter " + param.name + " is read from the path but the path has no {" +
                            key + "}");
        }
    }
}

/// True when `sql` has the words SET TEXTSIZE, in any case and spacing.
bool sets_text_size(const std::string& sql) {
    std::string folded;
    for (char c : sql) {
        const auto u = static_cast<unsigned char>(c);
        if (std::isspace(u) != 0) {
            if (!folded.empty() && folded.back() != ' ') folded += ' ';
        } else {
            folded += static_cast<char>(std::toupper(u));
        }
    }
    return folded.find("SET TEXTSIZE") != std::string::npos;
}

/// The rules that depend on the route's kind.
void check_route_kind(const YAML::Node& node, const route_config& route) {
    const YAML::Node where = at(node, "kind");
    // No default: a route that forgot its kind would otherwise answer as something else.
    if (where.is(node)) {
        fail(node, "a route needs kind: sql, login, proxy or echo");
    }
    if ((route.kind == route_kind::sql || route.kind == route_kind::login) && route.sql.empty()) {
        fail(where, "a " + std::string(route.kind == route_kind::sql ? "sql" : "login") +
                        " route needs sql");
    }
    // The gateway's TEXTSIZE is what keeps a huge cell out of memory (max_cell_bytes).
    if (sets_text_size(route.sql)) {
        fail(at(node, "sql"), "a route's sql may not SET TEXTSIZE: the gateway sets it from max_cell_bytes");
    }
    if (route.kind == route_kind::proxy && route.upstream.empty()) {
        fail(where, "a proxy route needs upstream");
    }
}

}  // namespace

route_config parse_route(const YAML::Node& node) {
    route_config out;
    if (!node.IsMap()) {
        fail(node, "expected a mapping for a route");
    }
    for_each_field(node, "route", [&](std::string_view key, const YAML::Node& value) {
        return read_route_field(out, key, value);
    });
    if (!at(node, "method").is(node) && !at(node, "methods").is(node)) {
        fail(at(node, "method"), "give either method or methods, not both");
    }
    auto checked = check_route_path(out.path);
    if (auto* reason = std::get_if<std::string>(&checked)) {
        fail(at(node, "path"), at(node, "path").is(node) ? "a route needs a path" : *reason);
    }
    check_route_params(node, out, std::get<route_path_info>(checked));
    check_route_kind(node, out);
    return out;
}

namespace {

/// The method both sets serve, if any; "*" serves every method.
std::optional<std::string> shared_method(const std::vector<std::string>& a,
                                         const std::vector<std::string>& b) {
    for (const std::string& method : a) {
        for (const std::string& other : b) {
            if (method == other || method == "*" || other == "*") {
                return method == "*" ? other : method;
            }
        }
    }
    return std::nullopt;
}

}  // namespace

std::vector<route_config> parse_routes(const YAML::Node& node) {
    std::vector<route_config> out;
    std::map<std::string, std::vector<std::string>> methods_by_shape;
    for (const YAML::Node& item : read_sequence(node)) {
        route_config route = parse_route(item);
        const std::string shape = std::get<route_path_info>(check_route_path(route.path)).shape;
        std::vector<std::string>& served = methods_by_shape[shape];
        if (const auto method = shared_method(route.methods, served)) {
            fail(at(item, "path"), "another route already serves " + *method + " " + route.path);
        }
        served.insert(served.end(), route.methods.begin(), route.methods.end());
        out.push_back(std::move(route));
    }
    return out;
}

}  // namespace conf
