#pragma once
// Writes the Prometheus text exposition format (version 0.0.4): one HELP and one TYPE
// line per family, then its samples, label values escaped.

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace gateway {

/// A label name and its (unescaped) value.
using metric_label = std::pair<std::string_view, std::string_view>;
/// The labels of one sample.
using metric_labels = std::vector<metric_label>;

/// Appends families and samples to a text buffer.
class metrics_writer {
public:
    /// Starts a family: `# HELP` and `# TYPE` (counter, gauge or histogram).
    void family(std::string_view name, std::string_view help, std::string_view type);
    /// One sample line `name{labels} value`.
    void sample(std::string_view name, const metric_labels& labels, double value);
    /// The _bucket (cumulative, with +Inf), _sum and _count lines of a histogram.
    void histogram(std::string_view name, const metric_labels& labels,
                   const std::vector<double>& upper_bounds,
                   const std::vector<std::uint64_t>& cumulative_counts, std::uint64_t count,
                   double sum);

    /// The text written so far.
    const std::string& text() const noexcept { return out_; }
    /// Moves the text out.
    std::string take() noexcept { return std::move(out_); }

private:
    void labels(const metric_labels& labels, std::string_view extra_name = {},
                std::string_view extra_value = {});
    std::string out_;
};

/// A label value with `\`, `"` and line feeds escaped.
std::string escape_label_value(std::string_view value);

/// A sample value: integers without a fraction, +Inf/-Inf/NaN spelled as Prometheus does.
std::string format_metric_value(double value);

}  // namespace gateway
