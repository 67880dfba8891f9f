#!/usr/bin/env python3
"""Turns encode_bench's or parse_bench's JSON output into the median tables of bench/RESULTS.md.

Usage:
  build/bench/encode_bench --benchmark_repetitions=5 --benchmark_enable_random_interleaving=true \
      --benchmark_min_time=0.5 --benchmark_format=json --benchmark_out=bench.json
  bench/summarize.py bench.json

(the same for build/bench/parse_bench).

Medians are taken over the repetitions of each benchmark: CPU time for encode/, the manual time
of encoding + write for send/ and threshold/ (see timed_send() in encode_bench.cpp), CPU time
per reply for parse/. Ratios
compare medians from the same run.
"""
import json
import statistics
import sys
from collections import defaultdict


def load(path):
    with open(path) as f:
        data = json.load(f)
    runs = defaultdict(list)
    for b in data["benchmarks"]:
        if b.get("run_type") != "iteration":
            continue
        runs[b["run_name"].removesuffix("/manual_time")].append(b)
    return data.get("context", {}), runs


def median(runs, name, key):
    values = [r[key] for r in runs.get(name, []) if key in r]
    return statistics.median(values) if values else None


def fmt_ns(v):
    if v is None:
        return "—"
    if v >= 10000:
        return f"{v / 1000:.1f} µs"
    if v >= 1000:
        return f"{v / 1000:.2f} µs"
    return f"{v:.1f} ns" if v < 100 else f"{v:.0f} ns"


def fmt_count(v):
    return "—" if v is None else f"{v:.3g}"


def fmt_ratio(a, b):
    return "—" if a is None or b is None or b == 0 else f"{a / b:.2f}×"


# The order of the tables' rows (interleaved runs come out in random order).
ORDER = ["ok10k", "bulk10k", "array10k", "nested3", "map1000", "bulk64k", "set16", "set1k", "set64k", "get", "set16x1", "set16x16", "set16x128", "set1kx16",
         "set64kx1", "mset100", "hset1000", "pipeline100"]


def cases(runs, family):
    seen = []
    for name in runs:
        parts = name.split("/")
        if parts[0] == family and parts[1] not in seen:
            seen.append(parts[1])
    return sorted(seen, key=lambda c: ORDER.index(c) if c in ORDER else len(ORDER))


def encode_table(runs):
    print("| case | respool | hiredis | naive | hiredis / respool | naive / respool "
          "| allocs/op respool · hiredis · naive |")
    print("|---|---|---|---|---|---|---|")
    for case in cases(runs, "encode"):
        t = {impl: median(runs, f"encode/{case}/{impl}", "cpu_time")
             for impl in ("respool", "hiredis", "naive")}
        a = {impl: median(runs, f"encode/{case}/{impl}", "allocs_per_op")
             for impl in ("respool", "hiredis", "naive")}
        allocs = " · ".join("—" if a[i] is None else f"{a[i]:g}" for i in a)
        print(f"| {case} | {fmt_ns(t['respool'])} | {fmt_ns(t['hiredis'])} | "
              f"{fmt_ns(t['naive'])} | {fmt_ratio(t['hiredis'], t['respool'])} | "
              f"{fmt_ratio(t['naive'], t['respool'])} | {allocs} |")


def send_table(runs):
    print("| case | respool | hiredis | preencoded | hiredis / respool | respool / preencoded "
          "| encoding respool · hiredis | segments | allocs/op respool · hiredis |")
    print("|---|---|---|---|---|---|---|---|---|")
    impls = ("respool", "hiredis", "preencoded")
    for case in cases(runs, "send"):
        t = {i: median(runs, f"send/{case}/{i}", "real_time") for i in impls}
        enc = {i: median(runs, f"send/{case}/{i}", "encode_ns") for i in impls}
        segs = median(runs, f"send/{case}/respool", "segments")
        allocs = {i: median(runs, f"send/{case}/{i}", "allocs_per_op") for i in impls}
        print(f"| {case} | {fmt_ns(t['respool'])} | {fmt_ns(t['hiredis'])} | "
              f"{fmt_ns(t['preencoded'])} | {fmt_ratio(t['hiredis'], t['respool'])} | "
              f"{fmt_ratio(t['respool'], t['preencoded'])} | "
              f"{fmt_ns(enc['respool'])} · {fmt_ns(enc['hiredis'])} | {fmt_count(segs)} | "
              f"{fmt_count(allocs['respool'])} · {fmt_count(allocs['hiredis'])} |")


def threshold_table(runs):
    print("| case | copied | referenced | referenced / copied | encoding copied · referenced "
          "| segments copied · referenced |")
    print("|---|---|---|---|---|---|")
    names = cases(runs, "threshold")
    names.sort(key=lambda c: (int(c.split("x")[1]), int(c[1:].split("x")[0])))
    for case in names:
        c, r = (f"threshold/{case}/copy", f"threshold/{case}/reference")
        tc, tr = median(runs, c, "real_time"), median(runs, r, "real_time")
        print(f"| {case} | {fmt_ns(tc)} | {fmt_ns(tr)} | {fmt_ratio(tr, tc)} | "
              f"{fmt_ns(median(runs, c, 'encode_ns'))} · {fmt_ns(median(runs, r, 'encode_ns'))} | "
              f"{fmt_count(median(runs, c, 'segments'))} · "
              f"{fmt_count(median(runs, r, 'segments'))} |")


def parse_table(runs):
    print("| case | respool per reply | hiredis per reply | hiredis / respool "
          "| MB/s respool · hiredis | allocs/reply respool · hiredis |")
    print("|---|---|---|---|---|---|")
    impls = ("respool", "hiredis")
    for case in cases(runs, "parse"):
        t = {i: median(runs, f"parse/{case}/{i}", "time_per_reply") for i in impls}
        # time_per_reply is a rate counter inverted: seconds per reply.
        t = {i: None if v is None else v * 1e9 for i, v in t.items()}
        mbs = {i: median(runs, f"parse/{case}/{i}", "bytes_per_second") for i in impls}
        allocs = {i: median(runs, f"parse/{case}/{i}", "allocs_per_reply") for i in impls}
        mb = " · ".join("—" if mbs[i] is None else f"{mbs[i] / 1e6:.0f}" for i in impls)
        print(f"| {case} | {fmt_ns(t['respool'])} | {fmt_ns(t['hiredis'])} | "
              f"{fmt_ratio(t['hiredis'], t['respool'])} | {mb} | "
              f"{fmt_count(allocs['respool'])} · {fmt_count(allocs['hiredis'])} |")


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    context, runs = load(sys.argv[1])
    for b in runs.values():
        assert b[0]["time_unit"] == "ns", "expected nanoseconds"
    print(f"Machine: {context.get('num_cpus')} CPUs at {context.get('mhz_per_cpu')} MHz, "
          f"run {context.get('date')}.\n")
    for family, title, table in (("encode", "Encoding", encode_table),
                                 ("send", "Encode and send", send_table),
                                 ("threshold", "Copy threshold", threshold_table),
                                 ("parse", "Parsing", parse_table)):
        if cases(runs, family):
            print(f"### {title}\n")
            table(runs)
            print()

if __name__ == "__main__":
    main()
