// Must compile: what typed commands borrow (literals, views, named strings and ranges).
#include <respool/protocol/commands.hpp>

#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

void build(const std::string& key, std::string& value, std::string_view field, const char* text,
           const std::vector<std::string>& keys) {
  auto a = respool::cmd::set("k", "literal");
  auto b = respool::cmd::set(key, value);
  auto c = respool::cmd::hset(key, field, std::string_view(text));
  auto d = respool::cmd::get(text);
  auto e = respool::cmd::mget(keys);
  auto f = respool::cmd::get(value.c_str());
  (void)a, (void)b, (void)c, (void)d, (void)e, (void)f;
  // One key and a range of keys share the command's name; a string is one key.
  static_assert(std::is_same_v<decltype(respool::cmd::exists(value))::result_type, bool>);
  static_assert(std::is_same_v<decltype(respool::cmd::exists("k"))::result_type, bool>);
  static_assert(std::is_same_v<decltype(respool::cmd::exists(keys))::result_type, long long>);
}

int main() {}
