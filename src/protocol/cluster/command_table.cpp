// command_table: the index of commands by name, lookups, and applying key specs to arguments.

#include "command_table_data.hpp"
#include "command_table_impl.hpp"

#include <algorithm>
#include <cstring>
#include <utility>

namespace respool::cluster {
namespace {

using detail::equal_ignoring_case;
using detail::lower;

using detail::index_slot;
using detail::no_entry;

// FNV-1a over lowercased bytes, continued from `h`: a lookup hashes argv[0] (and "|" and
// argv[1]) as it reads them, with no copy into a lowercase buffer.
constexpr std::uint32_t fnv_seed = 2166136261u;
constexpr std::uint32_t hash_lower(std::uint32_t h, std::string_view s) noexcept {
  for (const char c : s) h = (h ^ lower(c)) * 16777619u;
  return h;
}

// `stored` (lowercase) equals `arg` but for the case of `arg`.
bool equal_lower(std::string_view stored, std::string_view arg) noexcept {
  if (stored.size() != arg.size()) return false;
  for (std::size_t i = 0; i < arg.size(); ++i) {
    if (static_cast<unsigned char>(stored[i]) != lower(arg[i])) return false;
  }
  return true;
}

// `stored` is "<container>|<sub>" for these two arguments.
bool equal_lower(std::string_view stored, std::string_view container,
                 std::string_view sub) noexcept {
  const std::size_t n = container.size();
  return stored.size() == n + 1 + sub.size() && stored[n] == '|' &&
         equal_lower(stored.substr(0, n), container) && equal_lower(stored.substr(n + 1), sub);
}

// Probes `index` for hash `h`; `matches(entry)` decides between entries of equal hashes.
template <class Matches>
std::uint32_t probe(const std::vector<index_slot>& index, std::uint32_t h,
                    Matches&& matches) noexcept {
  const std::size_t mask = index.size() - 1;
  for (std::size_t i = h & mask;; i = (i + 1) & mask) {
    const index_slot& s = index[i];
    if (s.entry == no_entry) return s.entry;
    if (s.hash == h && matches(s.entry)) return s.entry;
  }
}

// A key count: a non-negative decimal integer without a sign or leading zeros, as the server
// reads one. Counts above `max` are refused (they cannot fit the arguments).
bool read_count(std::string_view s, std::size_t max, std::size_t& out) noexcept {
  if (s.empty() || (s.size() > 1 && s[0] == '0')) return false;
  std::size_t n = 0;
  for (const char c : s) {
    if (c < '0' || c > '9') return false;
    n = n * 10 + static_cast<std::size_t>(c - '0');
    if (n > max) return false;
  }
  out = n;
  return true;
}

// Where a keyword spec's keys begin: just after the keyword, searched from `startfrom`
// forward (up to the second-to-last argument: a key must follow) or, when it is zero or
// negative, backward from argc + startfrom down to argument 2. 0 when the keyword is absent.
std::int64_t after_keyword(const key_spec& s, std::span<const std::string_view> argv) noexcept {
  const auto argc = static_cast<std::int64_t>(argv.size());
  const bool forward = s.startfrom > 0;
  const std::int64_t start = forward ? s.startfrom : argc + s.startfrom;
  const std::int64_t end = forward ? argc - 1 : 1;  // not searched
  const std::int64_t step = start <= end ? 1 : -1;
  for (std::int64_t i = start; i != end; i += step) {
    if (i >= argc || i < 1) break;
    if (equal_ignoring_case(argv[static_cast<std::size_t>(i)], s.keyword)) return i + 1;
  }
  return 0;
}

}  // namespace

namespace detail {

spec_match match_key_spec(const key_spec& s, std::span<const std::string_view> argv,
                          key_range& out) noexcept {
  const auto argc = static_cast<std::int64_t>(argv.size());
  std::int64_t first = 0;
  if (s.begin == key_spec::begin_kind::index) {
    first = s.index;
  } else if (s.begin == key_spec::begin_kind::keyword) {
    first = after_keyword(s, argv);
    if (first == 0) return spec_match::none;
  } else {
    return spec_match::invalid;
  }
  if (first < 1) return spec_match::invalid;
  std::int64_t last = 0;
  std::int64_t step = 1;
  if (s.find == key_spec::find_kind::range) {
    step = s.keystep;
    if (s.limit < 0) return spec_match::invalid;
    if (s.lastkey >= 0) {
      last = first + s.lastkey;
    } else if (s.limit == 0) {
      last = argc + s.lastkey;
    } else {
      last = first + (argc - first) / s.limit + s.lastkey;
    }
  } else if (s.find == key_spec::find_kind::keynum) {
    step = s.keynum_step;
    const std::int64_t at = first + s.keynumidx;
    std::size_t count = 0;
    if (at < 1 || at >= argc) return spec_match::invalid;
    if (!read_count(argv[static_cast<std::size_t>(at)], argv.size(), count)) {
      return spec_match::invalid;
    }
    // The server's own spec walk refuses a count of 0 and falls back to the command's key
    // callback, which finds no keys: the same outcome, reached directly.
    if (count == 0) return spec_match::none;
    first += s.firstkey;
    last = first + static_cast<std::int64_t>(count) - 1;
  } else {
    return spec_match::invalid;
  }
  if (step < 1 || first < 1 || last >= argc || last < first || first >= argc) {
    return spec_match::invalid;
  }
  // Checked after the range, as the server does: an incomplete spec whose keyword is absent
  // names no keys and misses none.
  if (s.incomplete) return spec_match::invalid;
  out.first = static_cast<std::size_t>(first);
  out.last = static_cast<std::size_t>(last);
  out.step = static_cast<std::size_t>(step);
  return spec_match::keys;
}

std::string_view command_storage::keep(std::string_view s) {
  auto& block = text.emplace_back(std::make_unique<char[]>(s.size() + 1));
  std::memcpy(block.get(), s.data(), s.size());
  return {block.get(), s.size()};
}

std::span<const key_spec> command_storage::keep(std::span<const key_spec> s) {
  if (s.empty()) return {};
  auto& block = specs.emplace_back(std::make_unique<key_spec[]>(s.size()));
  std::copy(s.begin(), s.end(), block.get());
  return {block.get(), s.size()};
}

}  // namespace detail

void command_table::impl::rebuild() {
  std::size_t size = 16;
  while (size < 2 * entries.size()) size *= 2;
  index.assign(size, index_slot{});
  has_subcommands.assign(entries.size(), false);
  for (std::size_t e = 0; e < entries.size(); ++e) {
    const std::string_view name = entries[e].name;
    const std::uint32_t h = hash_lower(fnv_seed, name);
    std::size_t i = h & (size - 1);
    while (index[i].entry != empty) i = (i + 1) & (size - 1);
    index[i] = index_slot{h, static_cast<std::uint32_t>(e)};
  }
  // A container is marked once any of its subcommands is known.
  for (const command_info& c : entries) {
    const std::size_t bar = c.name.find('|');
    if (bar == std::string_view::npos) continue;
    const std::uint32_t container = find_exact(c.name.substr(0, bar));
    if (container != empty) has_subcommands[container] = true;
  }
}

std::uint32_t command_table::impl::find_exact(std::string_view name) const noexcept {
  return probe(index, hash_lower(fnv_seed, name),
               [&](std::uint32_t e) { return entries[e].name == name; });
}

void command_table::impl::merge(std::vector<command_info> incoming,
                                detail::command_storage incoming_storage) {
  for (const command_info& c : incoming) {
    const std::uint32_t e = find_exact(c.name);
    if (e != empty) {
      entries[e] = c;
    } else {
      entries.push_back(c);
    }
  }
  for (auto& t : incoming_storage.text) storage.text.push_back(std::move(t));
  for (auto& s : incoming_storage.specs) storage.specs.push_back(std::move(s));
  rebuild();
}

command_table::command_table() : impl_(std::make_unique<impl>()) {
  const std::span<const command_info> builtin = detail::builtin_entries();
  impl_->entries.assign(builtin.begin(), builtin.end());
  impl_->rebuild();
}

command_table::command_table(command_table&&) noexcept = default;
command_table& command_table::operator=(command_table&&) noexcept = default;
command_table::~command_table() = default;

const command_info* command_table::find(std::span<const std::string_view> argv) const noexcept {
  if (argv.empty() || !impl_) return nullptr;
  const impl& t = *impl_;
  const std::string_view name = argv[0];
  const std::uint32_t h = hash_lower(fnv_seed, name);
  const std::uint32_t e =
      probe(t.index, h, [&](std::uint32_t i) { return equal_lower(t.entries[i].name, name); });
  if (e == impl::empty) return nullptr;
  if (argv.size() > 1 && t.has_subcommands[e]) {
    const std::string_view sub = argv[1];
    const std::uint32_t hs = hash_lower(hash_lower(h, "|"), sub);
    const std::uint32_t s = probe(
        t.index, hs, [&](std::uint32_t i) { return equal_lower(t.entries[i].name, name, sub); });
    if (s != impl::empty) return &t.entries[s];
  }
  return &t.entries[e];
}

std::size_t command_table::size() const noexcept { return impl_ ? impl_->entries.size() : 0; }

std::span<const command_info> builtin_commands() noexcept { return detail::builtin_entries(); }

}  // namespace respool::cluster
