/// @file stored_handler.hpp
/// @brief A completion handler kept for later, type-erased, in place when it is small.
#pragma once

#include <asio/any_io_executor.hpp>
#include <asio/associated_allocator.hpp>
#include <asio/associated_cancellation_slot.hpp>
#include <asio/associated_executor.hpp>
#include <asio/dispatch.hpp>
#include <asio/execution/outstanding_work.hpp>
#include <asio/io_context.hpp>
#include <asio/post.hpp>
#include <asio/prefer.hpp>

#include <cstddef>
#include <new>
#include <tuple>
#include <type_traits>
#include <utility>

namespace respool::detail {

/// A handler that declares `using inline_completion = void;` is called on the spot when
/// completed with dispatch(), on whichever thread delivers it: for handlers that only record
/// the outcome and wake a waiting thread (the blocking facade's, whose thread reads replies
/// outside the io_context's run functions).
template <class H>
concept completes_inline = requires {
  typename H::inline_completion;
};

/**
 * Holds one completion handler taking `Args...` until the operation completes, together with
 * a work guard on the handler's executor (so its io_context does not run out of work while
 * the operation waits).
 *
 * Asio 1.22 has no any_completion_handler, hence this. Handlers up to `inline_size` bytes
 * (callbacks with a few captures, coroutine handlers) live inside the object: keeping it in a
 * pooled operation, storing a handler allocates nothing. Larger ones go to the heap.
 */
template <class... Args>
class stored_handler {
 public:
  static constexpr std::size_t inline_size = 192;

  stored_handler() = default;
  stored_handler(const stored_handler&) = delete;
  stored_handler& operator=(const stored_handler&) = delete;
  ~stored_handler() { reset(); }

  template <class Handler>
  void emplace(Handler&& h, const asio::any_io_executor& fallback) {
    using box_t = box<std::decay_t<Handler>>;
    reset();
    if constexpr (sizeof(box_t) <= inline_size && alignof(box_t) <= alignof(std::max_align_t)) {
      ptr_ = ::new (static_cast<void*>(buf_)) box_t(std::forward<Handler>(h), fallback);
      heap_ = false;
    } else {
      ptr_ = new box_t(std::forward<Handler>(h), fallback);
      heap_ = true;
    }
    ops_ = &box_t::table;
  }

  [[nodiscard]] explicit operator bool() const noexcept { return ptr_ != nullptr; }

  /// Completes: the handler leaves this object (which is then empty) and runs on its executor,
  /// inline when that executor is the current one.
  void dispatch(Args... args) { take(false, std::move(args)...); }
  /// Completes like dispatch(), but never inline (for completions inside an initiation).
  void post(Args... args) { take(true, std::move(args)...); }

  /// Destroys the handler without calling it.
  void reset() noexcept {
    if (ptr_ == nullptr) return;
    ops_->destroy(ptr_, heap_);
    ptr_ = nullptr;
  }

 private:
  struct table_t {
    void (*complete)(void* p, bool heap, bool post, Args... args);
    void (*destroy)(void* p, bool heap) noexcept;
  };

  // A handler with its arguments, callable without any: what post() and dispatch() take. It
  // keeps the handler's allocator, so that Asio allocates the posted operation with it.
  template <class H>
  struct bound {
    H handler;
    std::tuple<Args...> args;

    using allocator_type = asio::associated_allocator_t<H>;
    [[nodiscard]] allocator_type get_allocator() const noexcept {
      return asio::get_associated_allocator(handler);
    }
    void operator()() { std::apply(std::move(handler), std::move(args)); }
  };

  template <class H>
  struct box {
    // The handler's executor, tracking work so that its io_context does not run out of work
    // while the operation waits; not for a handler that completes inline (its caller keeps
    // the io_context going, and the two atomic updates are a blocking call's cost).
    static auto make_work(const H& h, const asio::any_io_executor& fallback) {
      if constexpr (completes_inline<H>) {
        return asio::get_associated_executor(h, fallback);
      } else {
        return asio::prefer(asio::get_associated_executor(h, fallback),
                            asio::execution::outstanding_work.tracked);
      }
    }
    using work_t =
        decltype(make_work(std::declval<const H&>(), std::declval<const asio::any_io_executor&>()));

    box(H&& h, const asio::any_io_executor& fallback)
        : handler(std::move(h)), work(make_work(handler, fallback)) {}
    box(const H& h, const asio::any_io_executor& fallback)
        : handler(h), work(make_work(handler, fallback)) {}

    H handler;
    work_t work;

    static void destroy(void* p, bool heap) noexcept {
      box* b = static_cast<box*>(p);
      if (heap) {
        delete b;
      } else {
        b->~box();
      }
    }

    static void complete(void* p, bool heap, bool post, Args... args) {
      box* b = static_cast<box*>(p);
      // The storage is freed before the handler runs, as Asio requires: the handler may
      // start the next operation, which reuses it.
      H h(std::move(b->handler));
      work_t w(std::move(b->work));
      destroy(p, heap);
      if (post) {
        asio::post(w, bound<H>{std::move(h), {std::move(args)...}});
      } else if (completes_inline<H> || runs_here(w)) {
        // What dispatch() would do, without wrapping the handler for the type-erased
        // executor: that allocates, and a thread inside io_context::run_one() recycles nothing
        // from one call to the next (sync_client's callers drive the io_context that way).
        std::apply(std::move(h), std::tuple<Args...>{std::move(args)...});
      } else {
        asio::dispatch(w, bound<H>{std::move(h), {std::move(args)...}});
      }
    }

    static constexpr table_t table{&box::complete, &box::destroy};
  };

  // An io_context executor (as the connection's executor is, tracking work) whose io_context
  // this thread is running.
  using tracked_io_executor = std::decay_t<decltype(asio::prefer(
      std::declval<asio::io_context::executor_type>(), asio::execution::outstanding_work.tracked))>;

  template <class Work>
  static bool runs_here(const Work& w) noexcept {
    if constexpr (std::is_same_v<Work, asio::any_io_executor>) {
      const auto* io = w.template target<tracked_io_executor>();
      return io != nullptr && io->running_in_this_thread();
    } else {
      return false;
    }
  }

  void take(bool post, Args... args) {
    void* p = ptr_;
    const bool heap = heap_;
    const table_t* ops = ops_;
    ptr_ = nullptr;
    ops->complete(p, heap, post, std::move(args)...);
  }

  alignas(std::max_align_t) unsigned char buf_[inline_size];
  void* ptr_ = nullptr;
  const table_t* ops_ = nullptr;
  bool heap_ = false;
};

}  // namespace respool::detail
