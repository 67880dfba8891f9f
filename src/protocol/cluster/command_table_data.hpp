// What the built-in command table is written with: short constexpr builders for key specs and
// entries, so that each command takes one line.
#pragma once

#include <respool/protocol/cluster/command_table.hpp>

#include <span>
#include <string_view>

namespace respool::cluster::detail {

// The built-in entries (command_table_data.cpp).
std::span<const command_info> builtin_entries() noexcept;

// A key spec is built from where its search begins and how it then finds the keys.
struct spec_begin {
  key_spec::begin_kind kind;
  int index = 0;
  std::string_view keyword;
  int startfrom = 0;
};
struct spec_find {
  key_spec::find_kind kind;
  int a = 0, b = 0, c = 0;  // range: lastkey, keystep, limit; keynum: keynumidx, firstkey, step
};

constexpr spec_begin at(int index) noexcept { return {key_spec::begin_kind::index, index, {}, 0}; }
constexpr spec_begin after(std::string_view keyword, int startfrom) noexcept {
  return {key_spec::begin_kind::keyword, 0, keyword, startfrom};
}
constexpr spec_find range(int lastkey, int keystep, int limit) noexcept {
  return {key_spec::find_kind::range, lastkey, keystep, limit};
}
constexpr spec_find keynum(int keynumidx, int firstkey, int step) noexcept {
  return {key_spec::find_kind::keynum, keynumidx, firstkey, step};
}

constexpr key_spec spec(spec_begin b, spec_find f, bool incomplete = false) noexcept {
  key_spec s;
  s.begin = b.kind;
  s.index = b.index;
  s.keyword = b.keyword;
  s.startfrom = b.startfrom;
  s.find = f.kind;
  if (f.kind == key_spec::find_kind::range) {
    s.lastkey = f.a;
    s.keystep = f.b;
    s.limit = f.c;
  } else {
    s.keynumidx = f.a;
    s.firstkey = f.b;
    s.keynum_step = f.c;
  }
  s.incomplete = incomplete;
  return s;
}
// A spec the server flags INCOMPLETE: it may miss keys.
constexpr key_spec incomplete(spec_begin b, spec_find f) noexcept { return spec(b, f, true); }
// A spec whose keys the server itself cannot locate (SORT's BY, GET and STORE).
constexpr key_spec unknown_spec() noexcept { return {}; }

constexpr command_info cmd(std::string_view name, std::uint32_t flags,
                           std::span<const key_spec> keys = {},
                           request_policy request = request_policy::default_,
                           response_policy response = response_policy::default_) noexcept {
  return {name, flags, request, response, keys};
}

}  // namespace respool::cluster::detail
