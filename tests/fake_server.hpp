// A scripted loopback TCP server, for what a real redis-server never does: malformed or
// truncated replies, replies that never come, connections closed or reset mid-reply.
//
//   respool::test::fake_server server([](respool::test::fake_server::peer& p) {
//     respool::test::answer_hello(p);
//     if (p.read_command(std::chrono::seconds(5))) p.write("$5\r\nab");  // truncated bulk
//     p.close();
//   });
//   // connect the client to 127.0.0.1:server.port()
//
// One thread accepts connections one after another and runs the session for each; a client
// that connects while a session runs waits in the accept backlog. Plain POSIX, no Asio.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace respool::test {

class fake_server {
 public:
  /// The server's end of one accepted connection. Every wait also ends when the fake_server
  /// is being destroyed, so a session that only waits through its peer never blocks the
  /// destructor.
  class peer {
   public:
    peer(const peer&) = delete;
    peer& operator=(const peer&) = delete;

    /// Reads one command as a client sends it: an array of bulk strings (or an inline
    /// command line). nullopt on EOF, timeout, malformed input or shutdown. Bytes after the
    /// command stay buffered for the next call.
    std::optional<std::vector<std::string>> read_command(std::chrono::milliseconds timeout);
    /// Writes all of `bytes`; false when the connection is gone or the server is stopping.
    bool write(std::string_view bytes);
    /// Closes the connection gracefully (FIN, after discarding unread input so that the
    /// kernel does not answer with a reset).
    void close();
    /// Closes the connection with a reset (RST): the client sees ECONNRESET.
    void reset();
    /// True once the client has closed (or reset) its end; input read meanwhile stays
    /// buffered for read_command(). False on timeout or shutdown.
    bool wait_closed(std::chrono::milliseconds timeout);
    /// Sleeps `duration`, or less when the server is stopping (then returns false).
    bool delay(std::chrono::milliseconds duration);
    /// 0 for the first connection the server accepted, 1 for the next, ...
    std::size_t index() const noexcept { return index_; }
    bool is_open() const noexcept { return fd_ >= 0; }

   private:
    friend class fake_server;
    enum class io { ready, eof, timeout, stopped, error };

    peer(int fd, int stop_fd, std::size_t index) noexcept
        : fd_{fd}, stop_fd_{stop_fd}, index_{index} {}
    ~peer();
    io wait(short events, std::chrono::steady_clock::time_point deadline) const;
    io read_more(std::chrono::steady_clock::time_point deadline);

    int fd_;
    int stop_fd_;
    std::size_t index_;
    std::string input_;
  };

  using session = std::function<void(fake_server::peer&)>;

  /// Listens on 127.0.0.1 (an ephemeral port) and starts accepting. Throws std::system_error
  /// when it cannot listen.
  explicit fake_server(session s);
  /// Wakes the session's waits, joins the thread, closes the connection and the listener.
  ~fake_server();
  fake_server(const fake_server&) = delete;
  fake_server& operator=(const fake_server&) = delete;

  std::uint16_t port() const noexcept { return port_; }
  /// Connections accepted so far (counted before their session starts).
  std::size_t connections() const noexcept { return connections_.load(); }

 private:
  void run();

  session session_;
  int listen_fd_ = -1;
  int stop_read_fd_ = -1;
  int stop_write_fd_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<std::size_t> connections_{0};
  std::thread thread_;
};

/// What redis 7.0.15 answers to HELLO 3 (with client id 1).
inline constexpr std::string_view hello3_reply =
    "%7\r\n"
    "$6\r\nserver\r\n$5\r\nredis\r\n"
    "$7\r\nversion\r\n$6\r\n7.0.15\r\n"
    "$5\r\nproto\r\n:3\r\n"
    "$2\r\nid\r\n:1\r\n"
    "$4\r\nmode\r\n$10\r\nstandalone\r\n"
    "$4\r\nrole\r\n$6\r\nmaster\r\n"
    "$7\r\nmodules\r\n*0\r\n";

/// Reads one command; when it is HELLO (any case), answers with hello3_reply. Returns the
/// command read (nullopt as read_command()), so the session can check it or answer it itself.
std::optional<std::vector<std::string>> answer_hello(
    fake_server::peer& p, std::chrono::milliseconds timeout = std::chrono::seconds(5));

/// Answers a respool connection's setup: HELLO as answer_hello() does, then, after a HELLO,
/// the readiness PING that follows it with +PONG. Returns the first command, as answer_hello().
std::optional<std::vector<std::string>> answer_setup(
    fake_server::peer& p, std::chrono::milliseconds timeout = std::chrono::seconds(5));

}  // namespace respool::test
