// --rdb, --functions-rdb and --replica (and the RDBs of --cluster backup): respool-cli as a
// replica of the server, through the replication handshake (REPLCONF, then SYNC) and the RDB
// payload that follows it.
#include "modes.hpp"

#include <fmt/format.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <fcntl.h>
#include <unistd.h>

namespace respool::cli {
namespace {

// The size of the marker that ends a diskless transfer ("$EOF:<marker>\r\n" announces it).
constexpr std::size_t eof_mark_size = 40;
// The longest line accepted before the payload (redis-cli reads it into a 4 KiB buffer).
constexpr std::size_t max_sync_line = 4096;

void say(std::string_view text) {
  std::fwrite(text.data(), 1, text.size(), stderr);
  std::fflush(stderr);
}

using wait_bound = std::optional<std::chrono::milliseconds>;

// -t as a bound on the wait for the server's first bytes; nullopt: as long as it takes.
wait_bound first_byte_bound(session& s) {
  if (s.opts().reply_timeout <= 0) return std::nullopt;
  return std::chrono::milliseconds(
      std::max(1LL, static_cast<long long>(s.opts().reply_timeout * 1000)));
}

enum class replconf_result { accepted, refused, io_error };

// REPLCONF <option> <value>, announced on stderr as redis-cli does. A refusal is not fatal
// (older servers do not know every option); a broken connection is.
replconf_result send_replconf(session& s, std::string_view option, std::string_view value) {
  say(fmt::format("sending REPLCONF {} {}\n", option, value));
  const std::vector<std::string> argv{"REPLCONF", std::string(option), std::string(value)};
  std::error_code ec;
  if (!s.call(argv, ec)) {
    say("\nI/O error\n");
    return replconf_result::io_error;
  }
  const resp3::node& first = s.connection().reply().front();
  if (resp3::is_error(first.data_type)) {
    say(fmt::format("REPLCONF {} error: {}\n", option, first.value));
    return replconf_result::refused;
  }
  return replconf_result::accepted;
}

// What the server announced after SYNC: the payload's size, or the marker that ends it.
struct sync_start {
  unsigned long long size = 0;
  std::optional<std::string> eof_mark;
};

// Reads the line that follows SYNC, one byte at a time so that no byte of the payload is
// taken: newlines before it are the server's keepalives while it prepares the RDB.
std::optional<std::string> read_sync_line(link& l, wait_bound bound) {
  std::string line;
  for (;;) {
    char c = 0;
    std::size_t n = 0;
    if (l.read_raw(std::span<char>(&c, 1), n, bound) || n == 0) return std::nullopt;
    if (c == '\n') {
      if (line.empty()) continue;
      return line;
    }
    if (line.size() == max_sync_line) return std::nullopt;
    line.push_back(c);
  }
}

// Sends SYNC and reads what the server announces (`bound` limits each wait for a byte of it);
// nullopt (the reason said) on failure.
std::optional<sync_start> start_sync(link& l, wait_bound bound) {
  if (l.write(std::string_view("SYNC\r\n"))) {
    say("Error writing to master\n");
    return std::nullopt;
  }
  const std::optional<std::string> line = read_sync_line(l, bound);
  if (!line) {
    say("Error reading bulk length while SYNCing\n");
    return std::nullopt;
  }
  if (line->front() == '-') {
    // The line as it came, its '\r' included, as redis-cli prints it.
    say(fmt::format("SYNC with master failed: {}\n", *line));
    return std::nullopt;
  }
  sync_start start;
  if (line->starts_with("$EOF:") && line->size() - 5 >= eof_mark_size) {
    start.eof_mark = line->substr(5, eof_mark_size);
    return start;
  }
  // "$<size>\r": anything else (no digits, a size of 0) is not the start of an RDB.
  const char* digits = line->c_str() + 1;
  char* end = nullptr;
  errno = 0;
  start.size = std::strtoull(digits, &end, 10);
  if (line->front() != '$' || end == digits || errno != 0 || start.size == 0) {
    say("Error reading bulk length while SYNCing\n");
    return std::nullopt;
  }
  return start;
}

// Reads the payload announced by `start`, handing its bytes to `sink` (never the end marker
// of a diskless transfer). `total` is the number of bytes read from the socket. False when
// the connection failed, or when `sink` returned false.
template <class Sink>
bool read_payload(link& l, const sync_start& start, Sink&& sink, unsigned long long& total) {
  std::array<char, 4096> buf{};
  // In the marker form, the last bytes received are held back until more bytes show that
  // they are not the marker.
  std::string held;
  unsigned long long left = start.size;
  total = 0;
  while (start.eof_mark || left > 0) {
    const std::size_t want =
        start.eof_mark ? buf.size() : std::min<unsigned long long>(left, buf.size());
    std::size_t n = 0;
    if (l.read_raw(std::span<char>(buf.data(), want), n, l.stall_timeout) || n == 0) {
      return false;
    }
    total += n;
    if (!start.eof_mark) {
      left -= n;
      if (!sink(std::string_view(buf.data(), n))) return false;
      continue;
    }
    held.append(buf.data(), n);
    if (held.size() >= eof_mark_size &&
        std::string_view(held).substr(held.size() - eof_mark_size) == *start.eof_mark) {
      return sink(std::string_view(held).substr(0, held.size() - eof_mark_size));
    }
    if (held.size() > eof_mark_size) {
      if (!sink(std::string_view(held).substr(0, held.size() - eof_mark_size))) return false;
      held.erase(0, held.size() - eof_mark_size);
    }
  }
  return true;
}

// Writes all of `bytes` to `fd`; false (errno set) on failure.
bool write_fully(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

// The transfer itself, once the server has announced it; returns the exit code.
int save_payload(link& l, const sync_start& start, const std::string& file) {
  if (start.eof_mark) {
    say(fmt::format(
        "SYNC sent to master, writing bytes of bulk transfer until EOF marker to '{}'\n", file));
  } else {
    say(fmt::format("SYNC sent to master, writing {} bytes to '{}'\n", start.size, file));
  }
  const bool to_stdout = file == "-";
  const int fd =
      to_stdout ? STDOUT_FILENO : ::open(file.c_str(), O_CREAT | O_WRONLY | O_TRUNC, 0644);
  if (fd < 0) {
    say(fmt::format("Error opening '{}': {}\n", file, std::strerror(errno)));
    return 1;
  }
  bool write_failed = false;
  unsigned long long total = 0;
  const bool read_ok = read_payload(
      l, start,
      [&](std::string_view bytes) {
        if (write_fully(fd, bytes)) return true;
        say(fmt::format("Error writing data to file: {}\n", std::strerror(errno)));
        write_failed = true;
        return false;
      },
      total);
  int status = 0;
  if (!read_ok) {
    if (!write_failed) say("I/O Error reading RDB payload from socket\n");
    status = 1;
  } else if (start.eof_mark) {
    say(fmt::format("Transfer finished with success after {} bytes\n", total - eof_mark_size));
  } else {
    say("Transfer finished with success.\n");
  }
  // The connection goes first: fsync() may take a while.
  l.close();
  if (status == 0 && !to_stdout && ::fsync(fd) == -1) {
    say(fmt::format("Fail to fsync '{}': {}\n", file, std::strerror(errno)));
    status = 1;
  }
  if (!to_stdout) ::close(fd);
  return status;
}

}  // namespace

int fetch_rdb(link& l, std::optional<std::chrono::milliseconds> bound, const std::string& file) {
  const std::optional<sync_start> start = start_sync(l, bound);
  if (!start) return 1;
  return save_payload(l, *start, file);
}

int rdb_mode(session& s) {
  const options& o = s.opts();
  if (send_replconf(s, "capa", "eof") == replconf_result::io_error) return 1;
  if (send_replconf(s, "rdb-only", "1") == replconf_result::io_error) return 1;
  if (o.functions_rdb) {
    const replconf_result r = send_replconf(s, "rdb-filter-only", "functions");
    if (r == replconf_result::io_error) return 1;
    if (r == replconf_result::refused) {
      say("Failed requesting functions only RDB from server, aborting\n");
      return 1;
    }
  }
  return fetch_rdb(s.connection(), first_byte_bound(s), *o.rdb_file);
}

int replica_mode(session& s) {
  if (send_replconf(s, "capa", "eof") == replconf_result::io_error) return 1;
  if (send_replconf(s, "rdb-filter-only", "") == replconf_result::io_error) return 1;
  link& l = s.connection();
  const std::optional<sync_start> start = start_sync(l, first_byte_bound(s));
  if (!start) return 1;
  if (start->eof_mark) {
    say("SYNC with master, discarding bytes of bulk transfer until EOF marker...\n");
  } else {
    say(fmt::format("SYNC with master, discarding {} bytes of bulk transfer...\n", start->size));
  }
  unsigned long long total = 0;
  if (!read_payload(
          l, *start, [](std::string_view) { return true; }, total)) {
    say("Error reading RDB payload while SYNCing\n");
    return 1;
  }
  if (start->eof_mark) {
    say(fmt::format("SYNC done after {} bytes. Logging commands from master.\n", total));
    // After a diskless transfer the server waits for an acknowledgement before it streams
    // commands. It sends no answer: the first message that follows (the SELECT or PING that
    // starts the stream) is taken for one and not printed, as redis-cli does.
    // It comes when it comes: no bound but the one inside a message. The server heeds the
    // acknowledgement only once it has seen its transfer end, which it learns a little after
    // the last byte went out: as redis-cli does, wait a second first.
    ::sleep(1);
    say("sending REPLCONF ACK 0\n");
    request ack;
    ack.push("REPLCONF", "ACK", "0");
    if (l.write(ack) || l.read(std::nullopt)) {
      say("\nI/O error\n");
      return 1;
    }
  } else {
    say("SYNC done. Logging commands from master.\n");
  }
  // The commands the server replicates, one CSV line each, until the connection ends.
  std::string out;
  for (;;) {
    if (const std::error_code ec = l.read(std::nullopt)) {
      say(fmt::format("Error: {}\n", l.describe(ec)));
      return 1;
    }
    out.clear();
    if (format_csv(out, l.reply()) == format_status::unknown_type) {
      say("Unknown reply type: 13\n");
      return 1;
    }
    out += '\n';
    std::fwrite(out.data(), 1, out.size(), stdout);
    std::fflush(stdout);
  }
}

}  // namespace respool::cli
