// --bigkeys, --memkeys and --hotkeys: a walk over the keyspace with SCAN, a pipeline of
// questions about each batch of keys, and redis-cli's report (the same lines, the same order).
#include "modes.hpp"

#include <array>
#include <atomic>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <unistd.h>

namespace respool::cli {
namespace {

// SIGINT during a walk: the current batch ends, then the report shows what was sampled.
std::atomic<bool> walk_interrupted{false};

extern "C" void interrupt_walk(int) { walk_interrupted = true; }

void catch_interrupt() {
  struct sigaction sa {};
  sa.sa_handler = interrupt_walk;
  sa.sa_flags = SA_RESTART;
  ::sigaction(SIGINT, &sa, nullptr);
}

// What ends a walk early: the message for stderr, then status 1.
struct walk_failure {
  std::string message;
};

[[noreturn]] void fail(std::string message) { throw walk_failure{std::move(message)}; }

// The message of an I/O error, as redis-cli words it (an expired -t bound says so).
[[noreturn]] void fail_io(session& s, std::error_code ec) {
  if (ec == error::request_timeout) fail("Error: " + s.connection().describe(ec) + "\n");
  fail("\nI/O error\n");
}

// A pipeline that broke while asking `what` about `key` (an expired -t bound says so).
[[noreturn]] void fail_asking(session& s, std::error_code ec, const char* what,
                              const std::string& key) {
  if (ec == error::request_timeout) fail_io(s, ec);
  fail(std::string("Error getting ") + what + " for key '" + key + "' (" +
       s.connection().describe(ec) + ")\n");
}

std::string repr(std::string_view bytes) {
  std::string out;
  append_repr(out, bytes);
  return out;
}

// A key as C's "%s" prints it: up to its first NUL.
std::string c_string(std::string_view bytes) {
  return std::string(bytes.substr(0, bytes.find('\0')));
}

std::string node_text(const resp3::node& n) { return std::string(n.value); }

// The keyspace, a SCAN batch at a time: DBSIZE first (for the percentages), then SCAN with
// --pattern and --count, pausing -i seconds every 100 SCANs.
class key_walk {
 public:
  explicit key_walk(session& s) : s_(s) {}

  unsigned long long count_keys() {
    std::error_code ec;
    if (!s_.call(std::vector<std::string>{"DBSIZE"}, ec)) fail_io(s_, ec);
    const resp3::node& n = s_.connection().reply().front();
    if (resp3::is_error(n.data_type)) fail("Couldn't determine DBSIZE: " + node_text(n) + "\n");
    if (n.data_type != resp3::type::number) fail("Non INTEGER response from DBSIZE!\n");
    // redis-cli keeps it in an int.
    return static_cast<unsigned long long>(
        static_cast<int>(std::strtoll(node_text(n).c_str(), nullptr, 10)));
  }

  // The next batch into keys(); false once the cursor came back to 0 or SIGINT came.
  void next() {
    scan();
    ++batches_;
  }

  // After a batch: -i's pause every 100 SCANs; false when that batch was the last one (the
  // cursor came back to 0, or SIGINT came).
  bool go_on() const {
    if (interval_us() > 0 && batches_ % 100 == 0) {
      ::usleep(static_cast<useconds_t>(interval_us()));
    }
    return !done_ && !walk_interrupted;
  }
  [[nodiscard]] const std::vector<std::string>& keys() const { return keys_; }

 private:
  [[nodiscard]] long interval_us() const { return static_cast<long>(s_.opts().interval * 1e6); }

  void scan() {
    std::vector<std::string> argv{"SCAN", std::to_string(cursor_)};
    if (s_.opts().pattern) {
      argv.emplace_back("MATCH");
      argv.push_back(*s_.opts().pattern);
    }
    if (s_.opts().count) {
      argv.emplace_back("COUNT");
      argv.push_back(std::to_string(*s_.opts().count));
    }
    std::error_code ec;
    if (!s_.call(argv, ec)) fail_io(s_, ec);
    const resp3::reply_view r = s_.connection().reply();
    if (resp3::is_error(r.front().data_type)) fail("SCAN error: " + node_text(r.front()) + "\n");
    if (!resp3::is_aggregate(r.front().data_type)) fail("Non ARRAY response from SCAN!\n");
    if (r.front().aggregate_size != 2) fail("Invalid element count from SCAN!\n");
    // [cursor, [key, ...]], the keys being strings.
    if (r.size() < 3 || resp3::is_aggregate(r[1].data_type) ||
        !resp3::is_aggregate(r[2].data_type) || r.size() != 3 + r[2].aggregate_size) {
      fail("Error: unexpected reply to SCAN\n");
    }
    keys_.clear();
    for (std::size_t i = 3; i < r.size(); ++i) keys_.emplace_back(r[i].value);
    cursor_ = std::strtoull(std::string(r[1].value).c_str(), nullptr, 10);
    done_ = cursor_ == 0;
  }

  session& s_;
  unsigned long long cursor_ = 0;
  unsigned long long batches_ = 0;
  bool done_ = false;
  std::vector<std::string> keys_;
};

// One type of value in the --bigkeys report.
struct type_stats {
  type_stats(std::string n, const char* command, const char* u)
      : name(std::move(n)), size_command(command), unit(u) {}

  std::string name;
  const char* size_command;  // null for a module's type (measured only by --memkeys)
  const char* unit;
  unsigned long long biggest = 0;
  unsigned long long count = 0;
  unsigned long long total = 0;
  std::optional<std::string> biggest_key;  // as repr() shows it
};

// The built-in types, in redis-cli's table.
std::vector<type_stats> known_types() {
  return {{"string", "STRLEN", "bytes"}, {"list", "LLEN", "items"},
          {"set", "SCARD", "members"},   {"hash", "HLEN", "fields"},
          {"zset", "ZCARD", "members"},  {"stream", "XLEN", "entries"}};
}

// The order of the report. redis-cli keeps the types in a hash table (of fixed hash seed) that
// is still being resized, a step per lookup, when its walk begins: the order of the six
// built-in types depends on how many lookups (TYPE replies, a module's types added) came
// before the report, and is final after two. A module's types follow, in the order they were
// met (redis-cli's place for them depends on their names' hashes).
std::vector<const type_stats*> report_order(const std::vector<type_stats>& types,
                                            unsigned long long lookups) {
  // Indexes in known_types().
  static constexpr std::array<std::array<std::size_t, 6>, 3> orders{{
      {3, 1, 0, 5, 2, 4},  // hash list string stream set zset
      {0, 1, 3, 5, 2, 4},  // string list hash stream set zset
      {1, 3, 0, 5, 2, 4},  // list hash string stream set zset
  }};
  std::vector<const type_stats*> order;
  for (const std::size_t i : orders[std::min<unsigned long long>(lookups, 2)]) {
    order.push_back(&types[i]);
  }
  for (std::size_t i = 6; i < types.size(); ++i) order.push_back(&types[i]);
  return order;
}

// TYPE of each key: the index of its type in `types` (added when new), or -1 when the key
// is gone.
std::vector<int> key_types(session& s, const std::vector<std::string>& keys,
                           std::vector<type_stats>& types, unsigned long long& lookups) {
  std::vector<std::vector<std::string>> commands;
  for (const std::string& k : keys) commands.push_back({"TYPE", k});
  std::vector<int> result;
  std::optional<std::string> failure;
  std::error_code ec;
  const bool ok = s.call_all(
      commands,
      [&](resp3::reply_view r) {
        const resp3::node& n = r.front();
        const std::string& key = keys[result.size()];
        if (failure) return;
        if (resp3::is_error(n.data_type)) {
          failure = "TYPE returned an error: " + node_text(n) + "\n";
        } else if (n.data_type != resp3::type::simple_string) {
          failure = "Invalid reply type for TYPE on key '" + c_string(key) + "'!\n";
        }
        ++lookups;
        int index = -1;
        if (!failure && n.value != "none") {
          for (std::size_t t = 0; t < types.size() && index < 0; ++t) {
            if (types[t].name == n.value) index = static_cast<int>(t);
          }
          if (index < 0) {
            types.push_back({node_text(n), nullptr, "?"});
            ++lookups;
            index = static_cast<int>(types.size() - 1);
          }
        }
        result.push_back(index);
      },
      ec);
  if (!ok) {
    fail_asking(s, ec, "type", c_string(keys[result.size()]));
  }
  if (failure) fail(*failure);
  return result;
}

// The size of each key (0 for one gone or, without --memkeys, of a module's type).
std::vector<unsigned long long> key_sizes(session& s, const std::vector<std::string>& keys,
                                          const std::vector<int>& kinds,
                                          const std::vector<type_stats>& types, bool memory) {
  const unsigned samples = s.opts().memkeys_samples;
  std::vector<std::vector<std::string>> commands;
  std::vector<std::size_t> asked;  // the keys the commands are about
  for (std::size_t i = 0; i < keys.size(); ++i) {
    if (kinds[i] < 0 || (!memory && types[kinds[i]].size_command == nullptr)) continue;
    asked.push_back(i);
    if (!memory) {
      commands.push_back({types[kinds[i]].size_command, keys[i]});
    } else if (samples == 0) {
      commands.push_back({"MEMORY", "USAGE", keys[i]});
    } else {
      commands.push_back({"MEMORY", "USAGE", keys[i], "SAMPLES", std::to_string(samples)});
    }
  }
  std::vector<unsigned long long> sizes(keys.size(), 0);
  std::size_t done = 0;
  std::error_code ec;
  const bool ok = s.call_all(
      commands,
      [&](resp3::reply_view r) {
        const std::size_t i = asked[done++];
        if (r.front().data_type == resp3::type::number) {
          sizes[i] = std::strtoull(std::string(r.front().value).c_str(), nullptr, 10);
        } else {
          // The key may have changed type between TYPE and this question.
          std::fprintf(stderr, "Warning:  %s on '%s' failed (may have changed type)\n",
                       memory ? "MEMORY USAGE" : types[kinds[i]].size_command,
                       c_string(keys[i]).c_str());
        }
      },
      ec);
  if (!ok) {
    fail_asking(s, ec, "size", c_string(keys[asked[done]]));
  }
  return sizes;
}

void print_header(const char* what) {
  std::printf("\n# Scanning the entire keyspace to find %s as well as\n", what);
  std::printf("# average sizes per key type.  You can use -i 0.1 to sleep 0.1 sec\n");
  std::printf("# per 100 SCAN commands (not usually needed).\n\n");
}

void print_summary_start(double pct, unsigned long long sampled) {
  std::printf("\n-------- summary -------\n\n");
  if (walk_interrupted) std::printf("[%05.2f%%] ", pct);
  std::printf("Sampled %llu keys in the keyspace!\n", sampled);
}

void print_big_summary(const std::vector<const type_stats*>& types, double pct,
                       unsigned long long sampled, unsigned long long key_bytes, bool memory) {
  print_summary_start(pct, sampled);
  std::printf("Total key length in bytes is %llu (avg len %.2f)\n\n", key_bytes,
              key_bytes ? static_cast<double>(key_bytes) / static_cast<double>(sampled) : 0);
  for (const type_stats* t : types) {
    if (!t->biggest_key) continue;
    std::printf("Biggest %6s found '%s' has %llu %s\n", t->name.c_str(), t->biggest_key->c_str(),
                t->biggest, memory ? "bytes" : t->unit);
  }
  std::printf("\n");
  for (const type_stats* t : types) {
    std::printf("%llu %ss with %llu %s (%05.2f%% of keys, avg size %.2f)\n", t->count,
                t->name.c_str(), t->total, memory ? "bytes" : t->unit,
                sampled ? 100 * static_cast<double>(t->count) / static_cast<double>(sampled) : 0,
                t->count ? static_cast<double>(t->total) / static_cast<double>(t->count) : 0);
  }
}

void big_keys(session& s, bool memory) {
  std::vector<type_stats> types = known_types();
  key_walk walk(s);
  const unsigned long long total = walk.count_keys();
  print_header("biggest keys");
  unsigned long long sampled = 0, key_bytes = 0, lookups = 0;
  double pct = 0;
  do {
    walk.next();
    // The share of the keyspace seen before this batch.
    pct = 100 * static_cast<double>(sampled) / static_cast<double>(total);
    const std::vector<std::string>& keys = walk.keys();
    const std::vector<int> kinds = key_types(s, keys, types, lookups);
    const std::vector<unsigned long long> sizes = key_sizes(s, keys, kinds, types, memory);
    for (std::size_t i = 0; i < keys.size(); ++i) {
      if (kinds[i] < 0) continue;  // gone since SCAN
      type_stats& t = types[kinds[i]];
      t.total += sizes[i];
      ++t.count;
      key_bytes += keys[i].size();
      ++sampled;
      if (t.biggest < sizes[i]) {
        t.biggest_key = repr(keys[i]);
        std::printf("[%05.2f%%] Biggest %-6s found so far '%s' with %llu %s\n", pct, t.name.c_str(),
                    t.biggest_key->c_str(), sizes[i], memory ? "bytes" : t.unit);
        t.biggest = sizes[i];
      }
      if (sampled % 1000000 == 0)
        std::printf("[%05.2f%%] Sampled %llu keys so far\n", pct, sampled);
    }
  } while (walk.go_on());
  print_big_summary(report_order(types, lookups), pct, sampled, key_bytes, memory);
}

// OBJECT FREQ of each key (0 for one gone).
std::vector<unsigned long long> key_frequencies(session& s, const std::vector<std::string>& keys) {
  std::vector<std::vector<std::string>> commands;
  for (const std::string& k : keys) commands.push_back({"OBJECT", "FREQ", k});
  std::vector<unsigned long long> freqs;
  std::optional<std::string> failure;
  std::error_code ec;
  const bool ok = s.call_all(
      commands,
      [&](resp3::reply_view r) {
        const resp3::node& n = r.front();
        if (failure) return;
        if (n.data_type == resp3::type::number) {
          freqs.push_back(std::strtoull(std::string(n.value).c_str(), nullptr, 10));
          return;
        }
        if (resp3::is_error(n.data_type)) {
          // Without an LFU policy the server refuses: that ends the walk.
          failure = "Error: " + node_text(n) + "\n";
        } else {
          std::fprintf(stderr, "Warning: OBJECT freq on '%s' failed (may have been deleted)\n",
                       repr(keys[freqs.size()]).c_str());
        }
        freqs.push_back(0);
      },
      ec);
  if (!ok) {
    fail_asking(s, ec, "freq", repr(keys[freqs.size()]));
  }
  if (failure) fail(*failure);
  return freqs;
}

// The 16 hottest keys, coldest first, as redis-cli keeps them.
class hot_pool {
 public:
  // True when `freq` enters the pool.
  bool offer(unsigned long long freq, const std::string& key) {
    std::size_t k = 0;
    while (k < size && freq > counters_[k]) ++k;
    if (k == 0) return false;
    --k;
    if (k != 0 && counters_[k] != 0) {
      // The coldest leaves; the colder ones move down to make room.
      for (std::size_t j = 0; j < k; ++j) {
        counters_[j] = counters_[j + 1];
        keys_[j] = std::move(keys_[j + 1]);
      }
    }
    counters_[k] = freq;
    keys_[k] = repr(key);
    last_ = k;
    return true;
  }
  [[nodiscard]] const std::string& last_key() const { return keys_[last_]; }

  void print() const {
    for (std::size_t k = size; k-- > 0;) {
      if (counters_[k] == 0) continue;
      std::printf("hot key found with counter: %llu\tkeyname: %s\n", counters_[k],
                  keys_[k].c_str());
    }
  }

 private:
  static constexpr std::size_t size = 16;
  std::array<unsigned long long, size> counters_{};
  std::array<std::string, size> keys_;
  std::size_t last_ = 0;
};

void hot_keys(session& s) {
  key_walk walk(s);
  const unsigned long long total = walk.count_keys();
  print_header("hot keys");
  unsigned long long sampled = 0;
  double pct = 0;
  hot_pool pool;
  do {
    walk.next();
    pct = 100 * static_cast<double>(sampled) / static_cast<double>(total);
    const std::vector<std::string>& keys = walk.keys();
    const std::vector<unsigned long long> freqs = key_frequencies(s, keys);
    for (std::size_t i = 0; i < keys.size(); ++i) {
      ++sampled;
      if (sampled % 1000000 == 0)
        std::printf("[%05.2f%%] Sampled %llu keys so far\n", pct, sampled);
      if (pool.offer(freqs[i], keys[i])) {
        std::printf("[%05.2f%%] Hot key '%s' found so far with counter %llu\n", pct,
                    pool.last_key().c_str(), freqs[i]);
      }
    }
  } while (walk.go_on());
  print_summary_start(pct, sampled);
  pool.print();
}

template <class Walk>
int run_walk(Walk&& walk) {
  catch_interrupt();
  try {
    walk();
  } catch (const walk_failure& f) {
    std::fflush(stdout);
    std::fputs(f.message.c_str(), stderr);
    return 1;
  }
  std::fflush(stdout);
  return 0;
}

}  // namespace

int big_keys_mode(session& s, bool memory) {
  return run_walk([&] { big_keys(s, memory); });
}

int hot_keys_mode(session& s) {
  return run_walk([&] { hot_keys(s); });
}

}  // namespace respool::cli
