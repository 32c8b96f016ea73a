#include "tests/tdsd/config.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fmt/format.h>
#include <set>
#include <stdexcept>

namespace tdsd {
namespace {

namespace fs = std::filesystem;

// Carries the file name so every error can say file:line:col.
struct context {
  std::string file;
  fs::path dir;

  [[noreturn]] void fail(const YAML::Node& node, std::string_view what) const {
    const auto mark = node.Mark();
    throw std::runtime_error(fmt::format("{}:{}:{}: {}", file, mark.line + 1, mark.column + 1, what));
  }
};

// Replaces ${NAME} with the environment variable's value; an unset variable is an error.
std::string substitute_env(const context& ctx, const YAML::Node& node, std::string text) {
  std::size_t pos = 0;
  while ((pos = text.find("${", pos)) != std::string::npos) {
    const auto end = text.find('}', pos);
    if (end == std::string::npos) ctx.fail(node, "unterminated ${ in string");
    const std::string name = text.substr(pos + 2, end - pos - 2);
    const char* value = std::getenv(name.c_str());
    if (!value) ctx.fail(node, fmt::format("environment variable {} is not set", name));
    text.replace(pos, end - pos + 1, value);
    pos += std::string_view(value).size();
  }
  return text;
}

std::string get_string(const context& ctx, const YAML::Node& node) {
  if (!node.IsScalar()) ctx.fail(node, "expected a string");
  return substitute_env(ctx, node, node.Scalar());
}

template <typename T>
T get_as(const context& ctx, const YAML::Node& node, std::string_view what) {
  try {
    return node.as<T>();
  } catch (const YAML::Exception&) {
    ctx.fail(node, fmt::format("expected {}", what));
  }
}

void check_keys(const context& ctx, const YAML::Node& node, std::initializer_list<std::string_view> allowed) {
  if (!node.IsMap()) ctx.fail(node, "expected a mapping");
  for (const auto& kv : node) {
    const auto key = kv.first.Scalar();
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
      ctx.fail(kv.first, fmt::format("unknown key '{}'", key));
    }
  }
}

std::chrono::milliseconds get_duration(const context& ctx, const YAML::Node& node) {
  try {
    return parse_duration(get_string(ctx, node));
  } catch (const std::invalid_argument& e) {
    ctx.fail(node, e.what());
  }
}

endpoint_config parse_endpoint(const context& ctx, const YAML::Node& node) {
  check_keys(ctx, node, {"address", "port"});
  endpoint_config e;
  if (node["address"]) e.address = get_string(ctx, node["address"]);
  if (node["port"]) e.port = get_as<std::uint16_t>(ctx, node["port"], "a port number");
  return e;
}

std::vector<std::string> get_string_list(const context& ctx, const YAML::Node& node) {
  if (!node.IsSequence()) ctx.fail(node, "expected a list");
  std::vector<std::string> out;
  for (const auto& item : node) out.push_back(get_string(ctx, item));
  return out;
}

login_config parse_login(const context& ctx, const YAML::Node& node) {
  check_keys(ctx, node, {"user", "password", "databases"});
  if (!node["user"] || !node["password"]) ctx.fail(node, "a login needs user and password");
  login_config l;
  l.user = get_string(ctx, node["user"]);
  l.password = get_string(ctx, node["password"]);
  l.databases = node["databases"] ? get_string_list(ctx, node["databases"]) : std::vector<std::string>{"*"};
  return l;
}

database_config parse_database(const context& ctx, const YAML::Node& node) {
  check_keys(ctx, node, {"name", "file", "init"});
  if (!node["name"]) ctx.fail(node, "a database needs a name");
  database_config d;
  d.name = get_string(ctx, node["name"]);
  if (node["file"]) {
    d.file = get_string(ctx, node["file"]);
    if (d.file != ":memory:") d.file = (ctx.dir / d.file).lexically_normal().string();
  }
  if (node["init"]) {
    for (const auto& p : get_string_list(ctx, node["init"])) {
      d.init.push_back((ctx.dir / p).lexically_normal().string());
    }
  }
  return d;
}

database_faults parse_database_faults(const context& ctx, const YAML::Node& node) {
  check_keys(ctx, node, {"latency", "jitter", "drop_after_rows", "drop_percent", "cut_reply_bytes", "fake_done_bytes"});
  database_faults f;
  if (node["latency"]) f.latency = get_duration(ctx, node["latency"]);
  if (node["jitter"]) f.jitter = get_duration(ctx, node["jitter"]);
  if (node["drop_after_rows"]) f.drop_after_rows = get_as<std::uint64_t>(ctx, node["drop_after_rows"], "a row count");
  if (node["fake_done_bytes"]) f.fake_done_bytes = get_as<std::uint64_t>(ctx, node["fake_done_bytes"], "a byte count");
  if (node["cut_reply_bytes"]) f.cut_reply_bytes = get_as<std::uint64_t>(ctx, node["cut_reply_bytes"], "a byte count");
  if (node["drop_percent"]) {
    f.drop_percent = get_as<int>(ctx, node["drop_percent"], "a percentage");
    if (f.drop_percent < 0 || f.drop_percent > 100) ctx.fail(node["drop_percent"], "drop_percent must be 0..100");
  }
  return f;
}

fault_config parse_faults(const context& ctx, const YAML::Node& node) {
  check_keys(ctx, node, {"refuse_logins", "stall", "databases"});
  fault_config f;
  if (node["refuse_logins"]) f.refuse_logins = get_as<bool>(ctx, node["refuse_logins"], "true or false");
  if (node["stall"]) f.stall = get_as<bool>(ctx, node["stall"], "true or false");
  if (node["databases"]) {
    if (!node["databases"].IsMap()) ctx.fail(node["databases"], "expected a mapping of database names");
    for (const auto& kv : node["databases"]) {
      f.databases[upper(kv.first.Scalar())] = parse_database_faults(ctx, kv.second);
    }
  }
  return f;
}

std::string get_path(const context& ctx, const YAML::Node& node) {
  const auto path = (ctx.dir / get_string(ctx, node)).lexically_normal();
  if (!fs::is_regular_file(path)) ctx.fail(node, fmt::format("cannot read file '{}'", path.string()));
  return path.string();
}

tls_config parse_tls(const context& ctx, const YAML::Node& node) {
  check_keys(ctx, node, {"cert_file", "key_file", "mode"});
  tls_config t;
  if (node["mode"]) {
    const auto mode = get_string(ctx, node["mode"]);
    if (mode == "off") {
      t.mode = tls_mode::off;
    } else if (mode == "optional") {
      t.mode = tls_mode::optional;
    } else if (mode == "required") {
      t.mode = tls_mode::required;
    } else {
      ctx.fail(node["mode"], fmt::format("tls mode '{}' is not off, optional or required", mode));
    }
  }
  if (node["cert_file"]) t.cert_file = get_path(ctx, node["cert_file"]);
  if (node["key_file"]) t.key_file = get_path(ctx, node["key_file"]);
  if (t.mode != tls_mode::off && (t.cert_file.empty() || t.key_file.empty())) {
    ctx.fail(node, "tls mode optional or required needs cert_file and key_file");
  }
  return t;
}

void validate(const context& ctx, const YAML::Node& root, const server_config& c) {
  if (c.databases.empty()) ctx.fail(root, "at least one database is required");
  std::set<std::string> names;
  for (const auto& d : c.databases) {
    if (!names.insert(upper(d.name)).second) ctx.fail(root["databases"], fmt::format("duplicate database '{}'", d.name));
  }
  for (const auto& [name, f] : c.faults.databases) {
    if (!names.count(name)) ctx.fail(root["faults"], fmt::format("faults for unknown database '{}'", name));
  }
  // A typo in a login's database list would only show up as error 4060 at login time.
  for (std::size_t i = 0; i < c.logins.size(); ++i) {
    for (const auto& d : c.logins[i].databases) {
      if (d != "*" && !names.count(upper(d))) {
        ctx.fail(root["logins"][i], fmt::format("login '{}' names unknown database '{}'", c.logins[i].user, d));
      }
    }
  }
}

}  // namespace

bool login_config::may_open(std::string_view database) const {
  return std::any_of(databases.begin(), databases.end(), [&](const std::string& d) {
    return d == "*" || upper(d) == upper(database);
  });
}

std::string upper(std::string_view text) {
  std::string out(text);
  for (auto& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

std::chrono::milliseconds parse_duration(std::string_view text) {
  std::size_t digits = 0;
  while (digits < text.size() && std::isdigit(static_cast<unsigned char>(text[digits]))) ++digits;
  if (digits == 0 || digits > 12) throw std::invalid_argument(fmt::format("bad duration '{}'", text));
  const long long n = std::stoll(std::string(text.substr(0, digits)));
  const auto unit = text.substr(digits);
  if (unit == "ms" || (unit.empty() && n == 0)) return std::chrono::milliseconds(n);
  if (unit == "s") return std::chrono::seconds(n);
  if (unit == "m") return std::chrono::minutes(n);
  throw std::invalid_argument(fmt::format("bad duration '{}' (use 250ms, 5s, 2m or 0)", text));
}

server_config load_config(const std::string& path) {
  context ctx{path, fs::absolute(path).parent_path()};
  YAML::Node root;
  try {
    root = YAML::LoadFile(path);
  } catch (const YAML::ParserException& e) {
    throw std::runtime_error(fmt::format("{}:{}:{}: {}", path, e.mark.line + 1, e.mark.column + 1, e.msg));
  } catch (const YAML::BadFile&) {
    throw std::runtime_error(fmt::format("{}:1:1: cannot read file", path));
  }
  check_keys(ctx, root, {"listen", "control", "logins", "databases", "faults", "tls", "user_options"});
  server_config c;
  if (root["listen"]) c.listen = parse_endpoint(ctx, root["listen"]);
  if (root["control"]) c.control = parse_endpoint(ctx, root["control"]);
  if (root["logins"]) {
    if (!root["logins"].IsSequence()) ctx.fail(root["logins"], "expected a list");
    for (const auto& l : root["logins"]) c.logins.push_back(parse_login(ctx, l));
  }
  if (root["databases"]) {
    if (!root["databases"].IsSequence()) ctx.fail(root["databases"], "expected a list");
    for (const auto& d : root["databases"]) c.databases.push_back(parse_database(ctx, d));
  }
  if (root["faults"]) c.faults = parse_faults(ctx, root["faults"]);
  if (root["tls"]) c.tls = parse_tls(ctx, root["tls"]);
  if (root["user_options"]) {
    c.user_options = get_as<int>(ctx, root["user_options"], "a number");
    if (c.user_options < 0 || c.user_options > 32767) ctx.fail(root["user_options"], "user_options must be 0..32767");
  }
  validate(ctx, root, c);
  return c;
}

}  // namespace tdsd
