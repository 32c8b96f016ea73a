#include "gateway/telemetry/metrics_text.hpp"

#include <cmath>

#include <fmt/format.h>

namespace gateway {

namespace {

/// HELP text: `\` and line feeds escaped (quotes stay).
std::string escape_help(std::string_view text) {
    std::string out;
    for (const char c : text) {
        if (c == '\\') {
            out += "\\\\";
        } else if (c == '\n') {
            out += "\\n";
        } else {
            out += c;
        }
    }
    return out;
}

}  // namespace

std::string escape_label_value(std::string_view value) {
    std::string out;
    out.reserve(value.size());
    for (const char c : value) {
        if (c == '\\') {
            out += "\\\\";
        } else if (c == '"') {
            out += "\\\"";
        } else if (c == '\n') {
            out += "\\n";
        } else {
            out += c;
        }
    }
    return out;
}

std::string format_metric_value(double value) {
    if (std::isnan(value)) return "NaN";
    if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
    if (value == std::floor(value) && std::fabs(value) < 1e15) {
        return fmt::format("{}", static_cast<long long>(value));
    }
    return fmt::format("{}", value);
}

void metrics_writer::family(std::string_view name, std::string_view help,
                            std::string_view type) {
    fmt::format_to(std::back_inserter(out_), "# HELP {} {}\n# TYPE {} {}\n", name,
                   escape_help(help), name, type);
}

void metrics_writer::labels(const metric_labels& labels, std::string_view extra_name,
                            std::string_view extra_value) {
    if (labels.empty() && extra_name.empty()) return;
    out_ += '{';
    bool first = true;
    for (const auto& [name, value] : labels) {
        if (!first) out_ += ',';
        first = false;
        fmt::format_to(std::back_inserter(out_), "{}=\"{}\"", name, escape_label_value(value));
    }
    if (!extra_name.empty()) {
        if (!first) out_ += ',';
        fmt::format_to(std::back_inserter(out_), "{}=\"{}\"", extra_name, extra_value);
    }
    out_ += '}';
}

void metrics_writer::sample(std::string_view name, const metric_labels& sample_labels,
                            double value) {
    out_ += name;
    labels(sample_labels);
    out_ += ' ';
    out_ += format_metric_value(value);
    out_ += '\n';
}

void metrics_writer::histogram(std::string_view name, const metric_labels& sample_labels,
                               const std::vector<double>& upper_bounds,
                               const std::vector<std::uint64_t>& cumulative_counts,
                               std::uint64_t count, double sum) {
    const std::string bucket = fmt::format("{}_bucket", name);
    for (std::size_t i = 0; i < upper_bounds.size() && i < cumulative_counts.size(); ++i) {
        out_ += bucket;
        labels(sample_labels, "le", format_metric_value(upper_bounds[i]));
        fmt::format_to(std::back_inserter(out_), " {}\n", cumulative_counts[i]);
    }
    out_ += bucket;
    labels(sample_labels, "le", "+Inf");
    fmt::format_to(std::back_inserter(out_), " {}\n", count);
    sample(fmt::format("{}_sum", name), sample_labels, sum);
    sample(fmt::format("{}_count", name), sample_labels, static_cast<double>(count));
}

}  // namespace gateway
