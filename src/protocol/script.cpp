#include <respool/protocol/error.hpp>
#include <respool/protocol/script.hpp>

#include <openssl/sha.h>

#include <vector>

namespace respool {

script::script(std::string source) : source_{std::move(source)} {
  unsigned char digest[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(source_.data()), source_.size(), digest);
  static constexpr char hex[] = "0123456789abcdef";
  sha1_.reserve(2 * SHA_DIGEST_LENGTH);
  for (unsigned char b : digest) {
    sha1_.push_back(hex[b >> 4]);
    sha1_.push_back(hex[b & 0xf]);
  }
}

void script::encode(request& req, std::span<const std::string_view> keys,
                    std::span<const std::string_view> args, bool by_source) const {
  // One argument list, kept per thread so that a steady caller allocates nothing.
  thread_local std::vector<std::string_view> all;
  all.clear();
  all.push_back(by_source ? std::string_view{source_} : std::string_view{sha1_});
  const std::string count = std::to_string(keys.size());
  all.push_back(count);
  all.insert(all.end(), keys.begin(), keys.end());
  all.insert(all.end(), args.begin(), args.end());
  req.push_range(by_source ? "EVAL" : "EVALSHA", all);
}

bool script::attempts::retry(const adapt_error& e) noexcept {
  // NOSCRIPT: the server does not have the script (a restart, SCRIPT FLUSH, a new server).
  if (by_source_ || e.code != error::server_error || !e.message.starts_with("NOSCRIPT")) {
    return false;
  }
  by_source_ = true;
  return true;
}

}  // namespace respool
