#include "gateway/http/token_bucket.hpp"

#include <algorithm>
#include <cmath>

namespace gateway {

namespace {

/// Whole seconds covering `seconds`, so a client waiting that long finds what it needs.
std::uint32_t whole_seconds(double seconds) {
    return static_cast<std::uint32_t>(std::ceil(std::max(0.0, seconds) - 1e-9));
}

void refill(token_bucket& bucket, const bucket_rule& rule, token_bucket::clock::time_point now) {
    const double capacity = rule.local_capacity();
    if (bucket.tokens < 0) {
        bucket.tokens = capacity;
    } else if (now > bucket.updated) {
        const double elapsed = std::chrono::duration<double>(now - bucket.updated).count();
        bucket.tokens = std::min(capacity, bucket.tokens + elapsed * rule.local_rate());
    }
    // a smaller burst after a reload applies at once
    bucket.tokens = std::min(bucket.tokens, capacity);
    bucket.updated = std::max(bucket.updated, now);
}

}  // namespace

bucket_verdict take_token(token_bucket& bucket, const bucket_rule& rule, token_bucket::clock::time_point now) {
    refill(bucket, rule, now);
    bucket_verdict out;
    out.allowed = bucket.tokens >= 1.0;
    if (out.allowed) bucket.tokens -= 1.0;
    const double rate = rule.local_rate();
    out.remaining = static_cast<std::uint32_t>(std::floor(bucket.tokens));
    out.reset_seconds = whole_seconds((rule.local_capacity() - bucket.tokens) / rate);
    if (!out.allowed) out.retry_after = std::max<std::uint32_t>(1, whole_seconds((1.0 - bucket.tokens) / rate));
    return out;
}

}  // namespace gateway
