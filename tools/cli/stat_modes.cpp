// The monitoring modes that run until interrupted (--stat, --latency-dist, --lru-test) and the
// local --intrinsic-latency measurement, printing what redis-cli prints.
#include "modes.hpp"

#include <atomic>
#include <chrono>
#include <climits>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <unistd.h>

namespace respool::cli {
namespace {

long long now_us() {
  using namespace std::chrono;
  return duration_cast<microseconds>(steady_clock::now().time_since_epoch()).count();
}

// -i in microseconds, as redis-cli keeps it.
long interval_us(const options& o) { return static_cast<long>(o.interval * 1e6); }

void pause_us(long us) {
  if (us > 0) ::usleep(static_cast<useconds_t>(us));
}

// The value of INFO's first "<field>:" (or "<field>=" inside a line such as db0's) as a
// number, read as strtol does; LONG_MIN when the field is absent.
long info_number(std::string_view info, std::string_view field) {
  const std::size_t at = info.find(field);
  if (at == std::string_view::npos) return LONG_MIN;
  std::string_view value = info.substr(std::min(info.size(), at + field.size() + 1));
  value = value.substr(0, std::min(value.find('\r'), value.find(',')));
  return std::strtol(std::string(value).c_str(), nullptr, 10);
}

// 100B, 4.00K, 2.50M, 1.00G.
std::string human_bytes(long long n) {
  std::string out;
  if (n < 0) {
    out = "-";
    n = -n;
  }
  char buf[64] = "";
  const auto d = static_cast<double>(n);
  if (n < 1024) {
    std::snprintf(buf, sizeof buf, "%lldB", n);
  } else if (n < 1024 * 1024) {
    std::snprintf(buf, sizeof buf, "%.2fK", d / 1024);
  } else if (n < 1024LL * 1024 * 1024) {
    std::snprintf(buf, sizeof buf, "%.2fM", d / (1024 * 1024));
  } else if (n < 1024LL * 1024 * 1024 * 1024) {
    std::snprintf(buf, sizeof buf, "%.2fG", d / (1024LL * 1024 * 1024));
  }
  return out + buf;
}

// One line of --stat, from an INFO text; `requests` is the previous line's command count.
void print_stat_line(std::string_view info, long& requests) {
  char buf[64];
  long keys = 0;
  for (int db = 0; db < 20; ++db) {
    std::snprintf(buf, sizeof buf, "db%d:keys", db);
    const long k = info_number(info, buf);
    if (k != LONG_MIN) keys += k;
  }
  std::snprintf(buf, sizeof buf, "%ld", keys);
  std::printf("%-11s", buf);
  std::printf("%-8s", human_bytes(info_number(info, "used_memory")).c_str());
  std::snprintf(buf, sizeof buf, "%ld", info_number(info, "connected_clients"));
  std::printf(" %-8s", buf);
  std::snprintf(buf, sizeof buf, "%ld", info_number(info, "blocked_clients"));
  std::printf("%-8s", buf);
  const long commands = info_number(info, "total_commands_processed");
  std::snprintf(buf, sizeof buf, "%ld (+%ld)", commands, requests == 0 ? 0 : commands - requests);
  std::printf("%-19s", buf);
  requests = commands;
  std::snprintf(buf, sizeof buf, "%ld", info_number(info, "total_connections_received"));
  std::printf(" %-12s", buf);
  const unsigned long children =
      static_cast<unsigned long>(info_number(info, "bgsave_in_progress")) |
      static_cast<unsigned long>(info_number(info, "aof_rewrite_in_progress")) << 1 |
      static_cast<unsigned long>(info_number(info, "loading")) << 2;
  static const char* const names[] = {"", "SAVE", "AOF", "SAVE+AOF", "LOAD"};
  if (children < 5) std::printf("%s", names[children]);
  std::printf("\n");
}

// --latency-dist's buckets: the largest round trip (microseconds) each holds, and its sign.
struct bucket {
  long long max;  // 0: the last one, for everything longer
  char sign;
  long long count = 0;
};

const int colour_palette[] = {0,   233, 234, 235, 237, 239, 241, 243, 245, 247,
                              144, 143, 142, 184, 226, 214, 208, 202, 196};
const int grey_palette[] = {0, 233, 234, 235, 237, 239, 241, 243, 245, 247, 249, 251, 253};

void print_legend(std::span<const int> palette) {
  std::printf("---------------------------------------------\n");
  std::printf(". - * #          .01 .125 .25 .5 milliseconds\n");
  std::printf("1,2,3,...,9      from 1 to 9     milliseconds\n");
  std::printf("A,B,C,D,E        10,20,30,40,50  milliseconds\n");
  std::printf("F,G,H,I,J        .1,.2,.3,.4,.5       seconds\n");
  std::printf("K,L,M,N,O,P,Q,?  1,2,4,8,16,30,60,>60 seconds\n");
  std::printf("From 0 to 100%%: ");
  for (const int c : palette) std::printf("\033[48;5;%dm ", c);
  std::printf("\033[0m\n");
  std::printf("---------------------------------------------\n");
}

// One spectrum: each bucket's sign on a background as bright as its share of `total`;
// empties the buckets.
void print_spectrum(std::vector<bucket>& buckets, long long total, std::span<const int> palette) {
  std::printf("\033[38;5;0m");
  for (bucket& b : buckets) {
    const auto share = static_cast<double>(b.count) / static_cast<double>(total);
    const auto index =
        static_cast<std::size_t>(std::ceil(share * static_cast<double>(palette.size() - 1)));
    std::printf("\033[48;5;%dm%c", palette[index], b.sign);
    b.count = 0;
  }
  std::printf("\033[0m\n");
  std::fflush(stdout);
}

std::vector<bucket> latency_buckets() {
  return {{10, '.'},      {125, '-'},     {250, '*'},      {500, '#'},      {1000, '1'},
          {2000, '2'},    {3000, '3'},    {4000, '4'},     {5000, '5'},     {6000, '6'},
          {7000, '7'},    {8000, '8'},    {9000, '9'},     {10000, 'A'},    {20000, 'B'},
          {30000, 'C'},   {40000, 'D'},   {50000, 'E'},    {100000, 'F'},   {200000, 'G'},
          {300000, 'H'},  {400000, 'I'},  {500000, 'J'},   {1000000, 'K'},  {2000000, 'L'},
          {4000000, 'M'}, {8000000, 'N'}, {16000000, 'O'}, {30000000, 'P'}, {60000000, 'Q'},
          {0, '?'}};
}

// A key among `keys`, drawn with a power law: the lower numbers are the most likely, about
// 20% of the keys getting 80% of the draws.
std::string lru_key(long long keys) {
  constexpr double alpha = 6.2;
  const double top = static_cast<double>(keys + 1);
  const double r = static_cast<double>(std::rand()) / RAND_MAX;
  const double low = std::pow(1.0, alpha + 1);
  const double drawn = std::pow((std::pow(top, alpha + 1) - low) * r + low, 1.0 / (alpha + 1));
  return "lru:" + std::to_string(keys - static_cast<long long>(drawn) + 1);
}

// One round of --lru-test: 250 SETs (their replies unread), then 250 GETs; false on I/O
// error (`ec`).
bool lru_round(session& s, long long keys, long long& hits, long long& misses,
               std::error_code& ec) {
  const auto ignore = [](resp3::reply_view) {};
  constexpr int batch = 250;
  std::vector<std::vector<std::string>> commands;
  for (int i = 0; i < batch; ++i) {
    std::string value(5, ' ');
    for (char& c : value) c = static_cast<char>('A' + std::rand() % ('z' - 'A'));
    commands.push_back({"SET", lru_key(keys), value});
  }
  if (!s.call_all(commands, ignore, ec)) return false;
  commands.clear();
  for (int i = 0; i < batch; ++i) commands.push_back({"GET", lru_key(keys)});
  return s.call_all(
      commands,
      [&](resp3::reply_view r) {
        const resp3::node& n = r.front();
        if (resp3::is_error(n.data_type)) {
          std::fprintf(stderr, "%.*s\n", static_cast<int>(n.value.size()), n.value.data());
        } else if (n.data_type == resp3::type::null) {
          ++misses;
        } else {
          ++hits;
        }
      },
      ec);
}

// SIGINT during --intrinsic-latency: the report comes at once.
std::atomic<bool> measure_interrupted{false};

extern "C" void interrupt_measure(int) { measure_interrupted = true; }

// A little work that the compiler cannot remove: a thousand steps of a xorshift generator.
unsigned long busy_work() {
  static volatile unsigned long seed = 88172645463325252UL;
  unsigned long x = seed;
  unsigned long sum = 0;
  for (int i = 0; i < 1000; ++i) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    sum += x & 0xff;
  }
  seed = x;
  return sum;
}

}  // namespace

int stat_mode(session& s) {
  const long pause = interval_us(s.opts()) > 0 ? interval_us(s.opts()) : 1000000;
  static const std::vector<std::string> info{"INFO"};
  long requests = 0;
  for (long line = 0;; ++line) {
    if (!reconnecting_call(s, info)) return 1;
    const resp3::node& n = s.connection().reply().front();
    if (resp3::is_error(n.data_type)) {
      std::fprintf(stderr, "ERROR: %.*s\n", static_cast<int>(n.value.size()), n.value.data());
      return 1;
    }
    if (line % 20 == 0) {
      std::printf(
          "------- data ------ --------------------- load -------------------- - child -\n"
          "keys       mem      clients blocked requests            connections          \n");
    }
    print_stat_line(n.value, requests);
    std::fflush(stdout);
    pause_us(pause);
  }
}

int latency_dist_mode(session& s) {
  const std::span<const int> palette =
      s.opts().mono ? std::span<const int>(grey_palette) : std::span<const int>(colour_palette);
  const long long period_ms = interval_us(s.opts()) > 0 ? interval_us(s.opts()) / 1000 : 1000;
  std::vector<bucket> buckets = latency_buckets();
  static const std::vector<std::string> ping{"PING"};
  long long count = 0;
  long long period_start = now_us();
  for (long spectrums = 0;;) {
    const long long start = now_us();
    if (!reconnecting_call(s, ping)) return 1;
    const long long latency = now_us() - start;
    ++count;
    for (bucket& b : buckets) {
      if (b.max == 0 || latency <= b.max) {
        ++b.count;
        break;
      }
    }
    if ((now_us() - period_start) / 1000 > period_ms) {
      if (spectrums++ % 20 == 0) print_legend(palette);
      print_spectrum(buckets, count, palette);
      period_start = now_us();
      count = 0;
    }
    ::usleep(10000);
  }
}

int lru_test_mode(session& s) {
  const long long keys = s.opts().lru_test.value_or(0);
  std::srand(static_cast<unsigned>(std::time(nullptr) ^ ::getpid()));
  for (;;) {
    const auto start = std::chrono::steady_clock::now();
    long long hits = 0, misses = 0;
    while (std::chrono::steady_clock::now() - start < std::chrono::seconds(1)) {
      std::error_code ec;
      if (!lru_round(s, keys, hits, misses, ec)) {
        // An expired -t bound says so.
        const std::string message = ec == error::request_timeout
                                        ? "Error: " + s.connection().describe(ec) + "\n"
                                        : "I/O error during LRU test\n";
        std::fputs(message.c_str(), stderr);
        return 1;
      }
    }
    const auto all = static_cast<double>(hits + misses);
    std::printf("%lld Gets/sec | Hits: %lld (%.2f%%) | Misses: %lld (%.2f%%)\n", hits + misses,
                hits, static_cast<double>(hits) / all * 100, misses,
                static_cast<double>(misses) / all * 100);
    std::fflush(stdout);
  }
}

int intrinsic_latency_mode(const options& o) {
  const long long run_time = static_cast<long long>(o.intrinsic_latency.value_or(0)) * 1000000;
  const long long end_at = now_us() + run_time;
  struct sigaction sa {};
  sa.sa_handler = interrupt_measure;
  sa.sa_flags = SA_RESTART;
  ::sigaction(SIGINT, &sa, nullptr);
  long long max_latency = 0, runs = 0;
  volatile unsigned long sink = 0;
  for (;;) {
    const long long start = now_us();
    sink = sink + busy_work();
    const long long end = now_us();
    const long long latency = end - start;
    ++runs;
    if (latency <= 0) continue;
    if (latency > max_latency) {
      max_latency = latency;
      std::printf("Max latency so far: %lld microseconds.\n", max_latency);
    }
    const double avg_us = static_cast<double>(run_time) / static_cast<double>(runs);
    if (measure_interrupted || end > end_at) {
      std::printf(
          "\n%lld total runs (avg latency: %.4f microseconds / %.2f nanoseconds per run).\n", runs,
          avg_us, avg_us * 1e3);
      std::printf("Worst run took %.0fx longer than the average latency.\n",
                  static_cast<double>(max_latency) / avg_us);
      std::fflush(stdout);
      return 0;
    }
  }
}

}  // namespace respool::cli
