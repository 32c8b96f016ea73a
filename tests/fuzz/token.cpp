// Fuzz target: bearer token verification (gateway::token_authority::verify).
// Half the inputs are raw tokens (framing, base64, header checks before the signature);
// the other half are a header and a payload JSON text separated by a NUL, which the
// target signs with the key so the claim checks after the signature are reached too.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "gateway/auth/token_authority.hpp"
#include "gateway/sql/result_json.hpp"

namespace {

const std::string key = "fuzz-key-0123456789abcdef0123456789";

/// base64url without padding, as JWT writes it.
std::string b64url(std::string_view text) {
    std::string s = gateway::encode_base64(std::vector<std::uint8_t>(text.begin(), text.end()));
    for (char& c : s) c = c == '+' ? '-' : c == '/' ? '_' : c;
    while (!s.empty() && s.back() == '=') s.pop_back();
    return s;
}

/// "header.payload.signature" with an HS256 signature under `key`.
std::string signed_token(std::string_view header, std::string_view payload) {
    std::string token = b64url(header) + "." + b64url(payload);
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int mac_size = 0;
    HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
         reinterpret_cast<const unsigned char*>(token.data()), token.size(), mac, &mac_size);
    return token + "." + b64url(std::string_view(reinterpret_cast<const char*>(mac), mac_size));
}

}  // namespace

/// libFuzzer entry point: one input per call.
extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const gateway::token_authority authority(key, "tenant-gateway", "tenant",
                                                    std::chrono::seconds(3600));
    if (size == 0) return 0;
    const std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
    const auto now = std::chrono::system_clock::time_point(std::chrono::seconds(1'800'000'000));
    if (data[0] % 2 == 0) {
        (void)authority.verify(input, now);
        (void)gateway::bearer_token(input);
        return 0;
    }
    const auto split = input.find('\0');
    if (split == std::string_view::npos) return 0;
    (void)authority.verify(signed_token(input.substr(0, split), input.substr(split + 1)), now);
    return 0;
}
