#!/usr/bin/env python3
"""Writes the built-in command table (src/protocol/cluster/command_table_data.cpp) from a
recorded RESP3 reply of COMMAND (tests/data/cluster/command_resp3.resp, Redis 7.0).

Usage: tools/gen_command_table.py REPLY.resp OUTPUT.cpp

Entries are sorted by name; key spec lists that several commands share are written once.
"""
import sys

FLAGS = [("readonly", "readonly"), ("write", "write"), ("movablekeys", "movablekeys"),
         ("pubsub", "pubsub"), ("blocking", "blocking"), ("admin", "admin"),
         ("noscript", "noscript"), ("loading", "loading_ok")]


def parse(b, i=0):
    end = b.index(b"\r\n", i)
    head, i = b[i:end], end + 2
    kind, rest = chr(head[0]), head[1:]
    if kind in "$=!":
        n = int(rest)
        return b[i:i + n].decode(), i + n + 2
    if kind in "+-":
        return rest.decode(), i
    if kind == ":":
        return int(rest), i
    if kind == "_":
        return None, i
    if kind in "*~>":
        out = []
        for _ in range(int(rest)):
            v, i = parse(b, i)
            out.append(v)
        return out, i
    if kind == "%":
        out = {}
        for _ in range(int(rest)):
            k, i = parse(b, i)
            out[k], i = parse(b, i)
        return out, i
    raise ValueError("unexpected RESP type " + kind)


def spec_expr(s):
    bs, fk = s["begin_search"], s["find_keys"]
    incomplete = "incomplete" in [f.lower() for f in s["flags"]]
    if bs["type"] == "unknown" or fk["type"] == "unknown":
        return "unknown_spec()"
    if bs["type"] == "index":
        begin = "at(%d)" % bs["spec"]["index"]
    else:
        begin = 'after("%s", %d)' % (bs["spec"]["keyword"], bs["spec"]["startfrom"])
    if fk["type"] == "range":
        f = fk["spec"]
        find = "range(%d, %d, %d)" % (f["lastkey"], f["keystep"], f["limit"])
    else:
        f = fk["spec"]
        find = "keynum(%d, %d, %d)" % (f["keynumidx"], f["firstkey"], f["keystep"])
    return "%s(%s, %s)" % ("incomplete" if incomplete else "spec", begin, find)


def main():
    commands = parse(open(sys.argv[1], "rb").read())[0]
    entries = []

    def walk(c):
        entries.append(c)
        for sub in c[9]:
            walk(sub)

    for c in commands:
        walk(c)
    entries.sort(key=lambda c: c[0])
    spec_lists = {}
    users = {}
    lines = []
    for c in entries:
        name, flags, tips, specs = c[0], c[2], c[7], c[8]
        bits = [ours for theirs, ours in FLAGS if theirs in flags]
        exprs = [spec_expr(s) for s in specs]
        if any("unknown" in e or "incomplete(" in e for e in exprs):
            bits.append("incomplete_keys")
        if not specs and "movablekeys" not in flags:
            bits.append("no_keys_at_all")
        req = next((t.split(":")[1] for t in tips if t.startswith("request_policy:")), None)
        resp = next((t.split(":")[1] for t in tips if t.startswith("response_policy:")), None)
        args = ['"%s"' % name, " | ".join(bits) or "0"]
        if exprs:
            users.setdefault(tuple(exprs), []).append(name)
            args.append("@" + "\x00".join(exprs) + "@")
        elif req or resp:
            args.append("{}")
        if req or resp:
            args.append("request_policy::" + req if req else "{}")
        if resp:
            args.append("response_policy::" + resp)
        line = "    cmd(%s)," % ", ".join(args)
        if len(line) > 100 and (req or resp):  # the policies on a line of their own
            policies = len(args) - 3
            line = "    cmd(%s,\n        %s)," % (", ".join(args[:-policies]),
                                                ", ".join(args[-policies:]))
        lines.append(line)
    # Each list of specs is named after the shortest command that has it.
    for exprs, names in users.items():
        spec_lists[exprs] = "keys_" + min(names, key=lambda n: (len(n), n)).replace("|", "_")
    text = "\n".join(lines) + "\n"
    for exprs, var in spec_lists.items():
        text = text.replace("@" + "\x00".join(exprs) + "@", var)
    out = open(sys.argv[2], "w")
    out.write(HEADER)
    for exprs, var in spec_lists.items():
        line = "constexpr key_spec %s[] = {%s};" % (var, ", ".join(exprs))
        if len(line) > 100:  # one spec a line
            line = "constexpr key_spec %s[] = {\n    %s};" % (var, ",\n    ".join(exprs))
        out.write(line + "\n")
    out.write(MIDDLE)
    out.write(text)
    out.write(FOOTER)


HEADER = """// The built-in command table: every command of Redis 7.0 (7.0.15), its subcommands, and what
// its COMMAND reply says about them. Written by tools/gen_command_table.py from
// tests/data/cluster/command_resp3.resp; command_table_test checks it against that reply.

#include "command_table_data.hpp"

namespace respool::cluster::detail {
namespace {

// clang-format off
"""

MIDDLE = """
constexpr command_info builtin[] = {
"""

FOOTER = """};
// clang-format on

}  // namespace

std::span<const command_info> builtin_entries() noexcept { return builtin; }

}  // namespace respool::cluster::detail
"""

if __name__ == "__main__":
    main()
