// Must not compile: the completion token is missing, so the key would be taken for it. The
// compiler must say so in one line (client.hpp), not in pages about asio::async_initiate.
#include <respool/client/client.hpp>

void increment(respool::client& c) { c.async_exec<long long>("INCR", "k"); }
