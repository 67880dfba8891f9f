// command_table::overlay(): reading the reply of COMMAND (Redis 2.8 to 7, RESP2 and RESP3).

#include "command_table_impl.hpp"
#include "slot_map_builder.hpp"
#include <respool/protocol/resp3/type.hpp>

#include <array>
#include <limits>
#include <utility>

namespace respool::cluster {
namespace detail {
namespace {

// Subcommands are one level deep in Redis 7; a little more is tolerated, not unbounded nesting.
constexpr int max_subcommand_depth = 2;

bool is_list(const resp3::node* n) noexcept {
  return n != nullptr && (n->data_type == resp3::type::array || n->data_type == resp3::type::set);
}

class command_reader {
 public:
  command_reader(resp3::reply_view r, std::vector<command_info>& out, command_storage& storage,
                 std::string& why)
      : r_(r), out_(out), storage_(storage), why_(why) {}

  bool fail(const char* message) {
    why_ = message;
    return false;
  }

  // The children of the list at `i` (an array or a set), or false when it is not one or is
  // cut short.
  bool children(std::size_t i, std::vector<std::size_t>& out, const char* what) {
    out.clear();
    if (!is_list(node_at(r_, i))) {
      why_.assign(what).append(" is not an array");
      return false;
    }
    resp3::for_each_child(r_, i, [&](std::size_t j) { out.push_back(j); });
    if (out.size() != r_[i].aggregate_size) {
      why_.assign(what).append(" is cut short");
      return false;
    }
    return true;
  }

  bool read_int(std::size_t i, int& out, const char* what) {
    const resp3::node* n = node_at(r_, i);
    std::int64_t v = 0;
    if (n == nullptr || !read_integer(*n, v) || v < std::numeric_limits<int>::min() ||
        v > std::numeric_limits<int>::max()) {
      why_.assign(what).append(" is not an integer");
      return false;
    }
    out = static_cast<int>(v);
    return true;
  }

  // Calls f(text) for each string of the list at `i`.
  template <class F>
  bool for_each_text(std::size_t i, const char* what, F&& f) {
    std::vector<std::size_t> items;
    if (!children(i, items, what)) return false;
    for (const std::size_t j : items) {
      if (!is_text(r_[j])) {
        why_.assign("an element of ").append(what).append(" is not a string");
        return false;
      }
      f(r_[j].value);
    }
    return true;
  }

  bool read_entries() {
    const resp3::node* root = node_at(r_, 0);
    if (root == nullptr) return fail("an empty reply");
    if (resp3::is_error(root->data_type)) {
      why_.assign("the server replied with an error: ").append(root->value);
      return false;
    }
    std::vector<std::size_t> entries;
    if (!children(0, entries, "the reply")) return false;
    for (const std::size_t j : entries) {
      if (!read_entry(j, 0)) return false;
    }
    return true;
  }

  bool read_entry(std::size_t i, int depth);
  bool read_flags(std::size_t i, std::uint32_t& flags);
  bool read_tips(std::size_t i, command_info& c);
  bool read_key_spec(std::size_t i, key_spec& s);
  // The "type" and "spec" of a begin search or a find keys map.
  bool read_kind(std::size_t i, const char* what, std::string_view& type, std::size_t& spec);
  bool read_begin_search(std::size_t i, key_spec& s);
  bool read_find_keys(std::size_t i, key_spec& s);

 private:
  resp3::reply_view r_;
  std::vector<command_info>& out_;
  command_storage& storage_;
  std::string& why_;
};

bool command_reader::read_flags(std::size_t i, std::uint32_t& flags) {
  struct known {
    std::string_view name;
    command_flag flag;
  };
  static constexpr std::array<known, 8> names{{{"readonly", readonly},
                                               {"write", write},
                                               {"movablekeys", movablekeys},
                                               {"pubsub", pubsub},
                                               {"blocking", blocking},
                                               {"admin", admin},
                                               {"noscript", noscript},
                                               {"loading", loading_ok}}};
  return for_each_text(i, "the flags of a command", [&](std::string_view f) {
    for (const known& k : names) {
      if (equal_ignoring_case(f, k.name)) flags |= k.flag;
    }
  });
}

bool command_reader::read_tips(std::size_t i, command_info& c) {
  // The policies this version knows; another one is `special`: the client cannot apply it.
  static constexpr std::array<std::pair<std::string_view, request_policy>, 4> requests{
      {{"all_nodes", request_policy::all_nodes},
       {"all_shards", request_policy::all_shards},
       {"multi_shard", request_policy::multi_shard},
       {"special", request_policy::special}}};
  static constexpr std::array<std::pair<std::string_view, response_policy>, 8> responses{
      {{"one_succeeded", response_policy::one_succeeded},
       {"all_succeeded", response_policy::all_succeeded},
       {"agg_logical_and", response_policy::agg_logical_and},
       {"agg_logical_or", response_policy::agg_logical_or},
       {"agg_min", response_policy::agg_min},
       {"agg_max", response_policy::agg_max},
       {"agg_sum", response_policy::agg_sum},
       {"special", response_policy::special}}};
  constexpr std::string_view request_tip = "request_policy:";
  constexpr std::string_view response_tip = "response_policy:";
  return for_each_text(i, "the tips of a command", [&](std::string_view tip) {
    if (tip.starts_with(request_tip)) {
      c.request = request_policy::special;
      for (const auto& [name, p] : requests) {
        if (tip.substr(request_tip.size()) == name) c.request = p;
      }
    } else if (tip.starts_with(response_tip)) {
      c.response = response_policy::special;
      for (const auto& [name, p] : responses) {
        if (tip.substr(response_tip.size()) == name) c.response = p;
      }
    }
  });
}

bool command_reader::read_kind(std::size_t i, const char* what, std::string_view& type,
                               std::size_t& spec) {
  const bool ok = for_each_field(r_, i, why_, what, [&](std::string_view k, std::size_t j) {
    if (k == "type" && is_text(r_[j])) type = r_[j].value;
    if (k == "spec") spec = j;
    return true;
  });
  if (!ok) return false;
  if (type.empty() || spec == 0) {
    why_.assign(what).append(" without a type or a spec");
    return false;
  }
  return true;
}

bool command_reader::read_begin_search(std::size_t i, key_spec& s) {
  std::string_view type;
  std::size_t spec = 0;
  if (!read_kind(i, "a begin search", type, spec)) return false;
  bool have_index = false;
  bool have_keyword = false;
  bool have_start = false;
  bool ok =
      for_each_field(r_, spec, why_, "a begin search spec", [&](std::string_view k, std::size_t j) {
        if (k == "index") have_index = read_int(j, s.index, "a begin index");
        if (k == "startfrom") have_start = read_int(j, s.startfrom, "a keyword start");
        if (k == "keyword" && is_text(r_[j])) {
          s.keyword = storage_.keep(r_[j].value);
          have_keyword = true;
        }
        return (k != "index" || have_index) && (k != "startfrom" || have_start);
      });
  if (!ok) return false;
  if (type == "index") {
    if (!have_index) return fail("an index begin search without an index");
    s.begin = key_spec::begin_kind::index;
  } else if (type == "keyword") {
    if (!have_keyword || !have_start) return fail("a keyword begin search is incomplete");
    s.begin = key_spec::begin_kind::keyword;
  } else {
    s.begin = key_spec::begin_kind::unknown;  // "unknown", or a kind newer than this reader
  }
  return true;
}

bool command_reader::read_find_keys(std::size_t i, key_spec& s) {
  std::string_view type;
  std::size_t spec = 0;
  if (!read_kind(i, "a find keys", type, spec)) return false;
  const bool range = type == "range";
  const bool keynum = type == "keynum";
  int found = 0;  // of the three fields the type needs
  const bool ok =
      for_each_field(r_, spec, why_, "a find keys spec", [&](std::string_view k, std::size_t j) {
        int* field = nullptr;
        if (range && k == "lastkey") field = &s.lastkey;
        if (range && k == "keystep") field = &s.keystep;
        if (range && k == "limit") field = &s.limit;
        if (keynum && k == "keynumidx") field = &s.keynumidx;
        if (keynum && k == "firstkey") field = &s.firstkey;
        if (keynum && k == "keystep") field = &s.keynum_step;
        if (field == nullptr) return true;
        ++found;
        return read_int(j, *field, "a find keys field");
      });
  if (!ok) return false;
  if ((range || keynum) && found != 3) return fail("a find keys spec is incomplete");
  s.find = range    ? key_spec::find_kind::range
           : keynum ? key_spec::find_kind::keynum
                    : key_spec::find_kind::unknown;
  return true;
}

bool command_reader::read_key_spec(std::size_t i, key_spec& s) {
  std::size_t begin = 0;
  std::size_t find = 0;
  bool ok = for_each_field(r_, i, why_, "a key spec", [&](std::string_view k, std::size_t j) {
    if (k == "begin_search") begin = j;
    if (k == "find_keys") find = j;
    if (k != "flags") return true;
    return for_each_text(j, "the flags of a key spec", [&](std::string_view f) {
      if (equal_ignoring_case(f, "incomplete")) s.incomplete = true;
    });
  });
  if (!ok) return false;
  if (begin == 0 || find == 0) return fail("a key spec without a begin search or find keys");
  return read_begin_search(begin, s) && read_find_keys(find, s);
}

// One entry: name, arity, flags, first, last, step, then (Redis 6) ACL categories and (Redis
// 7) tips, key specs and subcommands.
bool command_reader::read_entry(std::size_t i, int depth) {
  std::vector<std::size_t> f;
  if (!children(i, f, "a command entry")) return false;
  if (f.size() < 6) return fail("a command entry has fewer than 6 fields");
  if (!is_text(r_[f[0]]) || r_[f[0]].value.empty()) return fail("a command name is not a string");
  std::string name(r_[f[0]].value);
  for (char& ch : name) ch = static_cast<char>(lower(ch));
  command_info c;
  int arity = 0;
  int first = 0;
  int last = 0;
  int step = 0;
  if (!read_int(f[1], arity, "an arity") || !read_flags(f[2], c.flags) ||
      !read_int(f[3], first, "a first key") || !read_int(f[4], last, "a last key") ||
      !read_int(f[5], step, "a key step")) {
    return false;
  }
  if (f.size() > 6 && !for_each_text(f[6], "the ACL categories of a command", [](auto) {})) {
    return false;
  }
  if (f.size() > 7 && !read_tips(f[7], c)) return false;
  std::vector<key_spec> specs;
  if (f.size() > 8) {
    std::vector<std::size_t> items;
    if (!children(f[8], items, "the key specs of a command")) return false;
    for (const std::size_t j : items) {
      if (!read_key_spec(j, specs.emplace_back())) return false;
    }
  } else if (first > 0) {
    // Before key specs: the keys are first..last by step; a negative last counts from the end.
    if (step < 1) return fail("a command's key step is not positive");
    key_spec& s = specs.emplace_back();
    s.begin = key_spec::begin_kind::index;
    s.index = first;
    s.find = key_spec::find_kind::range;
    s.lastkey = last >= 0 ? last - first : last;
    s.keystep = step;
    // With movable keys the range is only part of them.
    s.incomplete = (c.flags & movablekeys) != 0;
  }
  for (const key_spec& s : specs) {
    if (s.incomplete || s.begin == key_spec::begin_kind::unknown ||
        s.find == key_spec::find_kind::unknown) {
      c.flags |= incomplete_keys;
    }
  }
  if (specs.empty() && (c.flags & movablekeys) != 0) c.flags |= incomplete_keys;
  if (specs.empty() && (c.flags & movablekeys) == 0) c.flags |= no_keys_at_all;
  c.name = storage_.keep(name);
  c.keys = storage_.keep(specs);
  out_.push_back(c);
  if (f.size() <= 9) return true;
  if (depth >= max_subcommand_depth) return fail("subcommands are nested too deep");
  std::vector<std::size_t> subs;
  if (!children(f[9], subs, "the subcommands of a command")) return false;
  for (const std::size_t j : subs) {
    if (!read_entry(j, depth + 1)) return false;
  }
  return true;
}

}  // namespace

bool read_command_reply(resp3::reply_view reply, std::vector<command_info>& out,
                        command_storage& storage, std::string& why) {
  return command_reader(reply, out, storage, why).read_entries();
}

}  // namespace detail

bool command_table::overlay(resp3::reply_view command_reply, std::string& why) {
  std::vector<command_info> incoming;
  detail::command_storage storage;
  why.clear();
  if (!detail::read_command_reply(command_reply, incoming, storage, why)) return false;
  if (!impl_) impl_ = std::make_unique<impl>();
  impl_->merge(std::move(incoming), std::move(storage));
  return true;
}

}  // namespace respool::cluster
