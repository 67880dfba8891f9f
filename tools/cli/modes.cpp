#include "modes.hpp"

#include <respool/io/detail/read_loop.hpp>

#include <asio/steady_timer.hpp>
#include <fmt/format.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <optional>
#include <string>
#include <vector>

#include <unistd.h>

namespace respool::cli {
namespace {

long long now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
}

// --pipe's state: standard input goes out in chunks while replies are counted as they come.
class pipe_run {
 public:
  explicit pipe_run(session& s) : s_(s), link_(s.connection()), timer_(link_.context()) {
    std::srand(static_cast<unsigned>(std::time(nullptr) ^ ::getpid()));
    for (char& c : magic_) c = static_cast<char>(std::rand() & 0xff);
    // The leading CRLF ends whatever incomplete inline command the input may have left.
    tail_ = "\r\n*2\r\n$4\r\nECHO\r\n$20\r\n";
    tail_.append(magic_.data(), magic_.size());
    tail_ += "\r\n";
  }

  int run() {
    last_read_ = std::time(nullptr);
    read_next();
    send_next();
    if (!done_) {
      tick();
      link_.context().restart();
      link_.context().run();
    }
    // The operations still pending (the read, the tick, maybe a write) hold `this`: close the
    // connection, which runs their handlers, while this object lives.
    done_ = true;
    timer_.cancel();
    link_.close();
    if (failure_) {
      std::fflush(stdout);
      std::fputs(failure_->c_str(), stderr);
      return 1;
    }
    std::printf("errors: %lld, replies: %lld\n", errors_, replies_);
    std::fflush(stdout);
    return errors_ > 0 ? 1 : 0;
  }

 private:
  void finish() {
    done_ = true;
    link_.context().stop();
  }

  // Ends the run at once: run() prints `message` and returns 1.
  void fail(std::string message) {
    failure_ = std::move(message);
    finish();
  }

  // Reads the next chunk of standard input (blocking, as redis-cli does) and writes it.
  void send_next() {
    if (eof_) return;
    ssize_t n;
    do {
      n = ::read(STDIN_FILENO, in_.data(), in_.size());
    } while (n < 0 && errno == EINTR);
    if (n < 0) return fail(fmt::format("Error reading from stdin: {}\n", std::strerror(errno)));
    if (n == 0) {
      eof_ = true;
      std::fputs("All data transferred. Waiting for the last reply...\n", stdout);
      std::fflush(stdout);
      last_read_ = std::time(nullptr);
      write_all(tail_.data(), tail_.size());
      return;
    }
    write_all(in_.data(), static_cast<std::size_t>(n));
  }

  void write_all(const char* data, std::size_t size) {
    write_since_ = std::time(nullptr);
    writing_ = true;
    link_.async_write_some(
        asio::buffer(data, size), [this, data, size](std::error_code ec, std::size_t n) {
          writing_ = false;
          if (done_) return;
          if (ec) return fail(fmt::format("Error writing to the server: {}\n", ec.message()));
          if (n < size) {
            write_all(data + n, size - n);
          } else {
            send_next();
          }
        });
  }

  void read_next() {
    const auto space = link_.reader().prepare();
    link_.async_read_some(asio::buffer(space.data(), space.size()), [this](std::error_code ec,
                                                                           std::size_t n) {
      if (done_) return;
      if (ec) return fail(fmt::format("Error reading from the server: {}\n", link_.describe(ec)));
      resp3::reader& reader = link_.reader();
      reader.commit(n);
      last_read_ = std::time(nullptr);
      const std::error_code perr = detail::for_each_reply(reader, [this](resp3::reply_view r) {
        on_reply(r);
        return !done_;
      });
      if (done_) return;
      if (perr) {
        return fail(fmt::format("Error reading replies from server: {}\n", link_.describe(perr)));
      }
      read_next();
    });
  }

  void on_reply(resp3::reply_view reply) {
    const resp3::node& n = reply.front();
    if (resp3::is_error(n.data_type)) {
      std::fwrite(n.value.data(), 1, n.value.size(), stderr);
      std::fputc('\n', stderr);
      ++errors_;
    } else if (eof_ && n.data_type == resp3::type::bulk_string &&
               n.value == std::string_view(magic_.data(), magic_.size())) {
      std::fputs("Last reply received from server.\n", stdout);
      finish();
      return;
    }
    ++replies_;
  }

  // Once a second: gives up when no reply came for --pipe-timeout seconds after the input
  // ended (as redis-cli does), or while a write has been stuck that long (a server that
  // neither reads nor answers, with more input than the socket buffers hold).
  void tick() {
    timer_.expires_after(std::chrono::seconds(1));
    timer_.async_wait([this](std::error_code ec) {
      if (ec || done_) return;
      const int limit = s_.opts().pipe_timeout;
      const std::time_t now = std::time(nullptr);
      const bool waiting = eof_ || (writing_ && now - write_since_ > limit);
      if (limit > 0 && waiting && now - last_read_ > limit) {
        std::fprintf(stderr, "No replies for %d seconds: exiting.\n", limit);
        ++errors_;
        finish();
        return;
      }
      tick();
    });
  }

  session& s_;
  link& link_;
  asio::steady_timer timer_;
  std::array<char, 20> magic_{};
  std::string tail_;
  std::vector<char> in_ = std::vector<char>(65536);
  bool eof_ = false;
  bool done_ = false;
  long long errors_ = 0;
  long long replies_ = 0;
  std::time_t last_read_ = 0;
  std::optional<std::string> failure_;  // why the run stopped early
  bool writing_ = false;                // a write is in progress
  std::time_t write_since_ = 0;         // when it began
};

void print_latency(output_mode mode, long long min, long long max, double avg, long long count) {
  switch (mode) {
    case output_mode::standard:
      std::printf("min: %lld, max: %lld, avg: %.2f (%lld samples)", min, max, avg, count);
      std::fflush(stdout);
      break;
    case output_mode::csv:
      std::printf("%lld,%lld,%.2f,%lld\n", min, max, avg, count);
      break;
    case output_mode::raw:
      std::printf("%lld %lld %.2f %lld\n", min, max, avg, count);
      break;
    case output_mode::json:
      std::printf("{\"min\": %lld, \"max\": %lld, \"avg\": %.2f, \"count\": %lld}\n", min, max, avg,
                  count);
      break;
    case output_mode::quoted_json:
      break;  // redis-cli prints nothing in this mode
  }
}

}  // namespace

int pipe_mode(session& s) { return pipe_run(s).run(); }

bool reconnecting_call(session& s, std::span<const std::string> argv) {
  int tries = 0;
  for (;;) {
    while (!s.connected()) {
      std::printf("\r\x1b[0KReconnecting... %d\r", ++tries);
      std::fflush(stdout);
      s.connect(true, true);
      ::usleep(1000000);
    }
    std::error_code ec;
    if (s.call(argv, ec)) {
      if (tries > 0) std::printf("\r\x1b[0K");
      return true;
    }
    if (ec.category() == error_category() && ec != error::connection_lost) {
      std::fprintf(stderr, "Error: %s\n", s.connection().describe(ec).c_str());
      return false;
    }
  }
}

int latency_mode(session& s) {
  const options& o = s.opts();
  const output_mode mode = o.mode;
  // -i sets the sampling period of the non-terminal form and the length of a history range.
  const long long interval_ms = o.interval > 0 ? static_cast<long long>(o.interval * 1000) : 1000;
  const long long history_ms = o.interval > 0 ? interval_ms : 15000;
  long long min = 0, max = 0, total = 0, count = 0;
  double avg = 0;
  long long history_start = now_ms();
  static const std::vector<std::string> ping{"PING"};
  for (;;) {
    const long long start = now_ms();
    if (!reconnecting_call(s, ping)) return 1;
    const long long latency = now_ms() - start;
    ++count;
    if (count == 1) {
      min = max = total = latency;
      avg = static_cast<double>(latency);
    } else {
      min = std::min(min, latency);
      max = std::max(max, latency);
      total += latency;
      avg = static_cast<double>(total) / static_cast<double>(count);
    }
    if (mode == output_mode::standard) {
      std::printf("\x1b[0G\x1b[2K");
      print_latency(mode, min, max, avg, count);
    } else if (o.latency_history) {
      print_latency(mode, min, max, avg, count);
    } else if (now_ms() - history_start > interval_ms) {
      print_latency(mode, min, max, avg, count);
      std::fflush(stdout);
      return 0;
    }
    if (o.latency_history && now_ms() - history_start > history_ms) {
      std::printf(" -- %.2f seconds range\n",
                  static_cast<double>(static_cast<float>(now_ms() - history_start) / 1000));
      history_start = now_ms();
      min = max = total = count = 0;
    }
    std::fflush(stdout);
    ::usleep(10000);
  }
}

int scan_mode(session& s) {
  const options& o = s.opts();
  std::string cursor = "0";
  std::string out;
  do {
    std::vector<std::string> argv{"SCAN", cursor};
    if (o.pattern) {
      argv.emplace_back("MATCH");
      argv.push_back(*o.pattern);
    }
    if (o.count) {
      argv.emplace_back("COUNT");
      argv.push_back(std::to_string(*o.count));
    }
    std::error_code ec;
    if (!s.call(argv, ec)) {
      std::fputs("\nI/O error\n", stderr);
      return 1;
    }
    const resp3::reply_view reply = s.connection().reply();
    if (resp3::is_error(reply.front().data_type)) {
      std::fprintf(stderr, "Error: %.*s\n", static_cast<int>(reply.front().value.size()),
                   reply.front().value.data());
      return 1;
    }
    // [cursor, [key, ...]]
    if (reply.size() < 3 || reply[0].aggregate_size != 2) {
      std::fputs("Error: unexpected reply to SCAN\n", stderr);
      return 1;
    }
    cursor = std::string(reply[1].value);
    out.clear();
    for (std::size_t i = 3; i < reply.size(); ++i) {
      const std::string_view key = reply[i].value;
      if (o.mode == output_mode::standard) {
        append_repr(out, key);
      } else {
        out.append(key.substr(0, key.find('\0')));
      }
      out.push_back('\n');
    }
    std::fwrite(out.data(), 1, out.size(), stdout);
    if (o.interval > 0) ::usleep(static_cast<useconds_t>(o.interval * 1e6));
  } while (cursor != "0");
  std::fflush(stdout);
  return 0;
}

}  // namespace respool::cli
