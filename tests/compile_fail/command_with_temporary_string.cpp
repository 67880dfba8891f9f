// Must not compile: the command would keep a view of a string freed at the end of the line.
#include <respool/protocol/commands.hpp>

#include <string>

std::string make_value() { return std::string(100, 'v'); }

void build() {
  auto c = respool::cmd::set("k", make_value());
  (void)c;
}
