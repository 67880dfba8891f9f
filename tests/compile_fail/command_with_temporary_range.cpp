// Must not compile: the command would keep a reference to a vector destroyed at the end of
// the line.
#include <respool/protocol/commands.hpp>

#include <string>
#include <vector>

void build() {
  auto c = respool::cmd::mget(std::vector<std::string>{"a", "b"});
  (void)c;
}
