/// @file commands/transactions.hpp
/// @brief Several typed commands as one: a pipeline, or a MULTI/EXEC transaction.
#pragma once

#include <respool/protocol/commands/command.hpp>

#include <cstddef>
#include <optional>
#include <tuple>
#include <utility>

namespace respool::cmd {

namespace detail {

template <std::size_t N, class T, class... Ts>
struct repeat_ignore {
  using type = typename repeat_ignore<N - 1, T, ignore_t, Ts...>::type;
};
template <class T, class... Ts>
struct repeat_ignore<0, T, Ts...> {
  using type = std::tuple<Ts..., T>;
};

template <class... Cmds, std::size_t... I>
auto convert_all(const std::tuple<Cmds...>& cmds, std::tuple<typename Cmds::wire_type...>&& wires,
                 std::index_sequence<I...>) {
  return std::tuple<typename Cmds::result_type...>(
      std::get<I>(cmds).convert(std::move(std::get<I>(wires)))...);
}

}  // namespace detail

/// Several commands in one request, one round trip: the result is a tuple of their results.
/// A failing command fails the whole call (use a result<T> wire type to keep going).
template <class... Cmds>
[[nodiscard]] auto pipeline(Cmds... cmds) {
  using wire = std::tuple<typename Cmds::wire_type...>;
  std::tuple<Cmds...> all(std::move(cmds)...);
  auto encode = [all](request& r) {
    std::apply([&](const auto&... c) { (c.encode(r), ...); }, all);
  };
  auto convert = [all](wire&& w) {
    return detail::convert_all(all, std::move(w), std::index_sequence_for<Cmds...>{});
  };
  return make_command<wire>(std::move(encode), std::move(convert));
}

/// MULTI, the commands, EXEC: their results, or nothing when EXEC was aborted (a WATCHed key
/// changed). A command the server refuses to queue fails the call with its message
/// (EXECABORT); one that fails while EXEC runs fails it too, with that command's error.
/// @see https://redis.io/commands/multi/
/// @see https://redis.io/commands/exec/
template <class... Cmds>
[[nodiscard]] auto transaction(Cmds... cmds) {
  using exec_reply = std::optional<std::tuple<typename Cmds::wire_type...>>;
  // MULTI's +OK and each command's +QUEUED are ignored (an error among them still fails).
  using wire = typename detail::repeat_ignore<sizeof...(Cmds) + 1, exec_reply>::type;
  std::tuple<Cmds...> all(std::move(cmds)...);
  auto encode = [all](request& r) {
    r.push("MULTI");
    std::apply([&](const auto&... c) { (c.encode(r), ...); }, all);
    r.push("EXEC");
  };
  auto convert = [all](wire&& w) {
    using result = std::tuple<typename Cmds::result_type...>;
    exec_reply& exec = std::get<sizeof...(Cmds) + 1>(w);
    if (!exec) return std::optional<result>{};
    return std::optional<result>(
        detail::convert_all(all, std::move(*exec), std::index_sequence_for<Cmds...>{}));
  };
  return make_command<wire>(std::move(encode), std::move(convert));
}

}  // namespace respool::cmd
