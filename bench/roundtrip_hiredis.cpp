// roundtrip_bench's hiredis client: a blocking context, commands appended then read back.
// Built only with hiredis (RESPOOL_BENCH_HIREDIS).
#include "roundtrip.hpp"

#ifdef RESPOOL_BENCH_HIREDIS
#  include <hiredis/hiredis.h>

#  include <string>

namespace roundtrip {

namespace {

// A blocking hiredis context: append N commands, then read N replies.
class hiredis_client final : public client {
 public:
  ~hiredis_client() override {
    if (ctx_ != nullptr) redisFree(ctx_);
  }

  std::string start(const server_address& s) {
    ctx_ = redisConnectWithTimeout(s.host.c_str(), s.port, timeval{10, 0});
    if (ctx_ == nullptr) return "redisConnect: out of memory";
    if (ctx_->err != 0) return std::string("redisConnect: ") + ctx_->errstr;
    // A server that stops answering fails the run instead of hanging it.
    redisSetTimeout(ctx_, timeval{10, 0});
    return {};
  }

  std::string verify(int depth, bool concurrent) override {
    if (concurrent) depth = concurrent_callers;
    for (int i = 0; i < depth; ++i) append();
    std::string problem;
    for (int i = 0; i < depth; ++i) {
      void* r = nullptr;
      if (redisGetReply(ctx_, &r) != REDIS_OK) return std::string("redisGetReply: ") + ctx_->errstr;
      auto* reply = static_cast<redisReply*>(r);
      if (problem.empty() &&
          (reply->type != REDIS_REPLY_STATUS || std::string_view(reply->str, reply->len) != "OK")) {
        problem = "reply " + std::to_string(i) + " is not +OK";
      }
      freeReplyObject(reply);
    }
    return problem;
  }

  measurement run(int depth, bool concurrent, double warmup, double seconds) override {
    // c50: 50 pipelined SETs per round trip, the best 50 concurrent callers could get on one
    // blocking context.
    if (concurrent) depth = concurrent_callers;
    meter m{warmup, seconds};
    for (;;) {
      for (int i = 0; i < depth; ++i) append();
      for (int i = 0; i < depth; ++i) {
        void* r = nullptr;
        if (redisGetReply(ctx_, &r) != REDIS_OK) {
          m.fail(std::string("redisGetReply: ") + ctx_->errstr);
          return m.result();
        }
        auto* reply = static_cast<redisReply*>(r);
        // What respool's ignored response checks too: no error reply.
        if (reply->type == REDIS_REPLY_ERROR) m.fail("error reply: " + std::string(reply->str));
        freeReplyObject(reply);
      }
      if (!m.completed(static_cast<std::uint64_t>(depth))) break;
    }
    return m.result();
  }

 private:
  void append() {
    static constexpr std::array<const char*, 3> argv{"SET", key.data(), value.data()};
    static constexpr std::array<std::size_t, 3> lens{3, key.size(), value.size()};
    // hiredis 0.14 takes argv as const char** (the array itself not const); it only reads it.
    redisAppendCommandArgv(ctx_, 3, const_cast<const char**>(argv.data()), lens.data());
  }

  redisContext* ctx_ = nullptr;
};

}  // namespace

std::unique_ptr<client> connect_hiredis(const server_address& s, std::string& problem) {
  auto c = std::make_unique<hiredis_client>();
  problem = c->start(s);
  if (!problem.empty()) return nullptr;
  return c;
}

}  // namespace roundtrip
#endif
