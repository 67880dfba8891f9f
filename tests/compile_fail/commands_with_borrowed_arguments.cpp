// Must compile: what typed commands borrow (literals, views, named strings and ranges).
#include <respool/commands.hpp>

#include <string>
#include <string_view>
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
}

int main() {}
