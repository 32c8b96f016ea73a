// Every field declared in conf/config.hpp must be a key the loader knows, so a field
// added to a struct without a line in conf/parse_*.cpp is caught here.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>
#include <utility>
#include <vector>

#include "tests/unit/conf_test_util.hpp"

namespace {

std::string source_root() {
    const char* source_dir = std::getenv("TG_SOURCE_DIR");
    const std::string this_file = __FILE__;
    return source_dir != nullptr ? std::string(source_dir)
                                 : this_file.substr(0, this_file.rfind("/tests/unit/"));
}

/// struct name -> field names, read from the header text.
std::vector<std::pair<std::string, std::vector<std::string>>> declared_fields(std::istream& in) {
    static const std::regex struct_open(R"(^struct (\w+) \{)");
    static const std::regex field(R"(^    [A-Za-z_][\w:<>, ]*[\w>] (\w+)( = [^;]*)?;)");
    std::vector<std::pair<std::string, std::vector<std::string>>> out;
    std::string line;
    bool inside = false;
    while (std::getline(in, line)) {
        std::smatch m;
        if (std::regex_search(line, m, struct_open)) {
            out.emplace_back(m[1], std::vector<std::string>{});
            inside = true;
        } else if (line.rfind("};", 0) == 0) {
            inside = false;
        } else if (inside && std::regex_search(line, m, field) &&
                   line.find("using ") == std::string::npos) {
            out.back().second.push_back(m[1]);
        }
    }
    return out;
}

/// Where each struct's fields are written in YAML; "KEY" is replaced by the field's key.
const std::map<std::string, std::string>& placements() {
    static const std::map<std::string, std::string> table = {
        {"hsts_config", "listen:\n  tls:\n    hsts:\n      KEY: x\n"},
        {"listen_tls_config", "listen:\n  tls:\n    KEY: x\n"},
        {"listen_config", "listen:\n  KEY: x\n"},
        {"retry_after_config", "limits:\n  retry_after:\n    KEY: x\n"},
        {"limits_config", "limits:\n  KEY: x\n"},
        {"tenant_resolution_config", "tenant_resolution:\n  KEY: x\n"},
        {"tls_settings", "tenants:\n  - KEY: x\n"},
        {"tls_overrides", "registry:\n  KEY: x\n"},
        {"tenant_config", "tenants:\n  - KEY: x\n"},
        {"param_config", "routes:\n  - params:\n      - KEY: x\n"},
        {"route_config", "routes:\n  - KEY: x\n"},
        {"upstream_health_config", "upstreams:\n  - health_check:\n      KEY: x\n"},
        {"upstream_config", "upstreams:\n  - KEY: x\n"},
        {"breaker_config", "pools:\n  breaker:\n    KEY: x\n"},
        {"pools_config", "pools:\n  KEY: x\n"},
        {"cluster_config", "cluster:\n  KEY: x\n"},
        {"hosting_config", "registry:\n  hosting:\n    KEY: x\n"},
        {"registry_config", "registry:\n  KEY: x\n"},
        {"admin_config", "admin:\n  KEY: x\n"},
        {"health_config", "health:\n  KEY: x\n"},
        {"metrics_config", "metrics:\n  KEY: x\n"},
        {"login_limit_shared_config", "auth:\n  login_limit:\n    shared:\n      KEY: x\n"},
        {"login_limit_config", "auth:\n  login_limit:\n    KEY: x\n"},
        {"auth_config", "auth:\n  KEY: x\n"},
        {"log_config", "log:\n  KEY: x\n"},
        {"route_rate_limit", "routes:\n  - rate_limit:\n      KEY: x\n"},
        {"rate_limits_config", "rate_limits:\n  KEY: x\n"},
        {"rate_limits_shared_config", "rate_limits:\n  shared:\n    KEY: x\n"},
        {"config", "KEY: x\n"},
    };
    return table;
}

/// The YAML key of a field when it differs from the field name ("" : not in YAML).
std::string yaml_key(const std::string& owner, const std::string& field) {
    static const std::map<std::pair<std::string, std::string>, std::string> renamed = {
        {{"param_config", "default_value"}, "default"},
        {{"param_config", "source"}, "from"},
        {{"route_config", "auth_required"}, "auth"},
        {{"config", "source_path"}, ""},
        // The TLS keys sit beside the others (checked through tls_settings/tls_overrides).
        {{"tenant_config", "tls"}, ""},
        {{"pools_config", "tls"}, ""},
        {{"registry_config", "tls"}, ""},
    };
    const auto it = renamed.find({owner, field});
    return it == renamed.end() ? field : it->second;
}

}  // namespace

TEST_CASE("every field of conf/config.hpp is a key the loader knows", "[conf][fields]") {
    std::ifstream header(source_root() + "/conf/config.hpp");
    REQUIRE(header.good());
    const auto structs = declared_fields(header);
    std::size_t checked = 0;
    for (const auto& [owner, fields] : structs) {
        INFO("struct " << owner);
        const auto placement = placements().find(owner);
        REQUIRE(placement != placements().end());  // a new struct needs a placement above
        for (const std::string& field : fields) {
            const std::string key = yaml_key(owner, field);
            if (key.empty()) {
                continue;
            }
            std::string text = placement->second;
            text.replace(text.find("KEY"), 3, key);
            INFO("field " << field << ", yaml:\n" << text);
            CHECK_THAT(conf_test::load_error(text), !Catch::Contains("unknown key"));
            ++checked;
        }
    }
    // The structs as first written hold about 120 fields; far fewer means the header
    // was not understood and this test would prove nothing.
    CHECK(structs.size() >= 17);
    CHECK(checked >= 100);
}

TEST_CASE("the field check itself notices a key the loader does not know", "[conf][fields]") {
    std::istringstream header(
        "struct listen_config {\n    std::string address;\n    int made_up_field = 1;\n};\n");
    const auto structs = declared_fields(header);
    REQUIRE(structs.size() == 1);
    CHECK(structs[0].second == std::vector<std::string>{"address", "made_up_field"});
    CHECK_THAT(conf_test::load_error("listen:\n  made_up_field: x\n"),
               Catch::Contains("unknown key"));
}
