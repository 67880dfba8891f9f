#include "options.hpp"

#include "../common/tls_flags.hpp"
#include <respool/protocol/config.hpp>
#include <respool/protocol/detail/ascii.hpp>
#include <respool/version.hpp>

#include <algorithm>
#include <cctype>
#include <climits>
#include <string>

namespace respool::benchmark {

namespace {

// C's atoi on a view: optional blanks, an optional sign, then the digits that follow;
// anything else ends the number. Saturates instead of overflowing.
std::int64_t leading_integer(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i])) != 0) ++i;
  bool negative = false;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) negative = s[i++] == '-';
  std::int64_t value = 0;
  for (; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i) {
    if (value > (INT64_MAX - 9) / 10) {
      value = INT64_MAX;
      break;
    }
    value = value * 10 + (s[i] - '0');
  }
  return negative ? -value : value;
}

int leading_int(std::string_view s) {
  return static_cast<int>(std::clamp<std::int64_t>(leading_integer(s), INT_MIN, INT_MAX));
}

constexpr int max_threads = 500;
constexpr int max_data_size = 1024 * 1024 * 1024;

std::string invalid(std::string_view arg) {
  return "Invalid option \"" + std::string(arg) + "\" or option argument missing";
}

// One option of the table below: its name, whether it takes the next argument, and what it
// does with it. `apply` refuses the value by setting `error` (the message to print).
struct flag {
  std::string_view name;
  bool takes_value;
  void (*apply)(options& o, std::string_view value, std::string& error);
};

// Shorter names for the table.
using text = std::string_view;
using refusal = std::string;

// Every option but --help, --version and the TLS flags (tools/common/tls_flags.hpp), with
// redis-benchmark's clamping of the numbers.
constexpr flag flags[] = {
    {"-q", false, [](options& o, text, refusal&) { o.quiet = true; }},
    {"--csv", false, [](options& o, text, refusal&) { o.csv = true; }},
    {"--json", false, [](options& o, text, refusal&) { o.json = true; }},
    {"-l", false, [](options& o, text, refusal&) { o.loop = true; }},
    {"-3", false, [](options& o, text, refusal&) { o.server.protocol = 3; }},
    {"--cluster", false, [](options& o, text, refusal&) { o.cluster = true; }},
    {"-c", true, [](options& o, text v, refusal&) { o.clients = std::max(1, leading_int(v)); }},
    {"-n", true,
     [](options& o, text v, refusal&) {
       o.requests = std::max<std::int64_t>(0, leading_integer(v));
     }},
    {"-d", true,
     [](options& o, text v, refusal&) {
       o.data_size = std::clamp(leading_int(v), 1, max_data_size);
     }},
    {"-P", true, [](options& o, text v, refusal&) { o.pipeline = std::max(1, leading_int(v)); }},
    {"-r", true,
     [](options& o, text v, refusal& e) {
       // A sign must be followed by a digit; any other text reads as 0, as atoi reads it.
       if (!v.empty() && v[0] == '-' && (v.size() < 2 || v[1] < '0' || v[1] > '9')) {
         e = invalid("-r");
       }
       o.random_keys = true;
       o.keyspace = std::max<std::int64_t>(0, leading_integer(v));
     }},
    {"-t", true,
     [](options& o, text v, refusal&) {
       o.tests = ',';  // appends only: GCC 12 at -O2 misreads "," + std::string (-Wrestrict)
       o.tests += detail::ascii::lower_copy(v);
       o.tests += ',';
     }},
    {"--threads", true,
     [](options& o, text v, refusal&) {
       o.threads = std::max(0, leading_int(v));
       if (o.threads <= max_threads) return;
       o.warnings.push_back("WARNING: Too many threads, limiting threads to " +
                            std::to_string(max_threads) + ".");
       o.threads = max_threads;
     }},
    {"--stall-timeout", true,
     [](options& o, text v, refusal&) { o.stall_timeout = std::max(0, leading_int(v)); }},
    {"--dbnum", true, [](options& o, text v, refusal&) { o.server.database = leading_int(v); }},
    {"--precision", true,
     [](options& o, text v, refusal&) {
       const int p = leading_int(v);
       o.precision = p <= 0 ? 3 : std::min(p, 4);
     }},
    {"-h", true, [](options& o, text v, refusal&) { o.server.host = v; }},
    {"-p", true,
     [](options& o, text v, refusal&) {
       o.server.port = static_cast<std::uint16_t>(leading_int(v));
     }},
    {"-s", true, [](options& o, text v, refusal&) { o.server.unix_socket = v; }},
    {"-a", true, [](options& o, text v, refusal&) { o.server.password = v; }},
    {"--user", true, [](options& o, text v, refusal&) { o.server.username = v; }},
    // The URI fills what it names, over what earlier options set.
    {"-u", true,
     [](options& o, text v, refusal& e) {
       std::string why;
       if (parse_uri(v, o.server, &why)) e = "Invalid URI: " + why;
     }},
    {"--svg", true, [](options& o, text v, refusal&) { o.svg_file = v; }},
    {"-x", false, [](options& o, text, refusal&) { o.stdin_arg = true; }},
    {"-k", true, [](options& o, text v, refusal&) { o.keepalive = leading_int(v) != 0; }},
    {"-I", false, [](options& o, text, refusal&) { o.idle = true; }},
    {"--seed", true,
     [](options& o, text v, refusal&) {
       o.seed = static_cast<std::uint64_t>(leading_integer(v));  // as atoi reads it
     }},
};

const flag* find_flag(std::string_view name) noexcept {
  for (const flag& f : flags) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

parse_result refused(std::string message) {
  parse_result r;
  r.action = parse_action::error;
  r.message = std::move(message);
  return r;
}

}  // namespace

parse_result parse_options(std::span<const std::string_view> args) {
  parse_result r;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string_view a = args[i];
    if (a == "--help" || a == "--version") {
      r.action = a == "--help" ? parse_action::help : parse_action::version;
      return r;
    }
    const flag* f = find_flag(a);
    const tools::tls_flag* tls = f == nullptr ? tools::find_tls_flag(a) : nullptr;
    if (f == nullptr && tls == nullptr) {
      // Not an option: the command starts here. Something that looks like an option but is
      // none is a mistake, not a command.
      if (!a.empty() && a[0] == '-') return refused(invalid(a));
      r.opts.command.assign(args.begin() + static_cast<std::ptrdiff_t>(i), args.end());
      return r;
    }
    const bool takes_value = f != nullptr ? f->takes_value : tls->takes_value;
    if (takes_value && i + 1 == args.size()) return refused(invalid(a));
    const std::string_view value = takes_value ? args[++i] : std::string_view{};
    if (tls != nullptr) {
      tls->apply(r.opts.server.tls, value);
      continue;
    }
    std::string error;
    f->apply(r.opts, value, error);
    if (!error.empty()) return refused(std::move(error));
  }
  return r;
}

std::string usage_text() {
  return R"(Usage: respool-benchmark [OPTIONS] [COMMAND ARGS...]

Sends the same commands as redis-benchmark, from respool connections, and reports in
redis-benchmark's formats.

Options:
 -h <hostname>      Server host name or address (default 127.0.0.1)
 -p <port>          Server TCP port (default 6379)
 -s <socket>        Unix socket path; when given, -h and -p are not used
 -a <password>      Authenticate with this password (AUTH)
 --user <username>  Authenticate as this ACL user (AUTH username password); needs -a
 -u <uri>           Server URI: redis://[[user]:password@]host[:port][/db], rediss://...
                    (TLS) or unix:///path
 --tls              Connect with TLS
 --sni <host>       Server name for SNI and for checking the server's certificate
 --cacert <file>    CA certificates (PEM) to verify the server with
 --cacertdir <dir>  Directory of trusted CA certificates. Without --cacert or --cacertdir,
                    the system's trusted certificates are used
 --cert <file>      Client certificate to authenticate with
 --key <file>       Private key of the client certificate
 --insecure         Do not verify the server's certificate
 -c <clients>       Parallel clients, each with its own connection (default 50)
 -n <requests>      Requests per test, all clients together (default 100000)
 -d <size>          Bytes of the value of SET, LPUSH, HSET... (default 3)
 --dbnum <db>       Database each connection selects (default 0)
 -3                 Talk RESP3 (HELLO 3) instead of RESP2
 --cluster          -h/-p name a node of a Redis Cluster: each client gets a cluster
                    connection, one connection per master, and sends each request to
                    the master of its keys' slot. The default tests put "{tag}" in their
                    keys, replaced by the hash tag of one slot per client (the first
                    slot of a master, the clients taking the masters in turn), so that
                    MSET's keys share a slot; a command given on the command line is
                    routed by its keys, "{tag}" in them replaced too. Masters that fail over during the run are followed
                    (MOVED); --threads defaults to the number of masters
 --threads <num>    Spread the clients over <num> event-loop threads (default: one loop)
 --stall-timeout <seconds>
                    Give up (exit 1) when the server has sent no reply for <seconds> while
                    requests wait for one: a server that hangs with the connection up would
                    otherwise stop the run for good. 0 waits forever, as redis-benchmark
                    does (default 10)
 -r <keyspacelen>   Replace every __rand_int__ in the arguments with a 12-digit number
                    in [0, keyspacelen), drawn again for every command sent. The default
                    tests put __rand_int__ in their keys (and ZADD in its score), so -r
                    spreads them over that many keys. Without -r, __rand_int__ is sent as
                    it is: every command of a test hits the same key.
 --seed <num>       Seed of the random numbers of -r (client i draws from <num> + i), so
                    that two runs send the same keys; by default drawn from the clock
 -x                 Read the last argument of the command from standard input (all of
                    it, as it is: a trailing newline is part of the value)
 -P <numreq>        Commands per request of each client: a pipeline of <numreq> (default 1)
 -k <boolean>       1: keep the connections open (default); 0: open a new connection for
                    every request (not with --cluster)
 -I                 Idle mode: open the -c connections, send nothing, and wait until
                    interrupted, showing how many are still open
 -q                 Quiet: one line per test (requests per second and median latency)
 --csv              One CSV line per test, after a header line
 --json             One JSON document with every figure of every test, the settings, and
                    the client's CPU time and heap allocations per request
 --svg <file>       Also write a chart of throughput and latency percentiles to <file>
 --precision <n>    Significant digits of the latency histogram, 1 to 4 (default 3)
 -l                 Run the tests again and again, until interrupted
 -t <tests>         Comma-separated tests to run, by the names the reports show
                    (ping runs both PING tests, lrange every LRANGE test); ignored when a
                    command is given
 --help             Print this help and exit
 --version          Print the version and exit

Tests, in order: PING_INLINE (sent as a RESP array: respool writes no inline commands),
PING_MBULK, SET, GET, INCR, LPUSH, RPUSH, LPOP, RPOP, SADD, HSET, SPOP, ZADD, ZPOPMIN,
LPUSH (needed to benchmark LRANGE), LRANGE_100, LRANGE_300, LRANGE_500, LRANGE_600,
MSET (10 keys), XADD.

Examples:
   respool-benchmark -p 6379 -t set,get -n 1000000 -P 16 -q
   respool-benchmark -t set -n 1000000 -r 100000000            # about a million keys
   respool-benchmark -n 10000 -r 10000 lpush mylist __rand_int__
   respool-benchmark -t set,get --json --svg chart.svg > results.json
)";
}

std::string version_text() {
  return "respool-benchmark " + std::to_string(RESPOOL_VERSION_MAJOR) + "." +
         std::to_string(RESPOOL_VERSION_MINOR) + "." + std::to_string(RESPOOL_VERSION_PATCH);
}

}  // namespace respool::benchmark
