#!/usr/bin/env bash
# Compiles the application files of this directory as a consumer of respool would, and prints
# the median wall time, CPU time (user + system) and peak memory of the compiler over several
# runs. CPU time suffers less than wall time from other work on the machine.
#
#   bench/build_cost/measure.sh [-n RUNS] [-c COMPILER] [-- EXTRA_FLAGS...]
#
# The flags are those a target linking respool::respool gets in a Release-like build: -O2,
# C++20, the include directory and the Asio and fmt definitions; for Clang also the coroutine
# definitions that cmake/Findrespool-asio.cmake adds. Only the compile step is timed (-c).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
runs=3
compilers=()
while [ $# -gt 0 ]; do
  case "$1" in
    -n) runs=$2; shift 2 ;;
    -c) compilers+=("$2"); shift 2 ;;
    --) shift; break ;;
    *) echo "usage: $0 [-n RUNS] [-c COMPILER]... [-- EXTRA_FLAGS...]" >&2; exit 2 ;;
  esac
done
[ ${#compilers[@]} -gt 0 ] || compilers=(g++ clang++)
extra=("$@")

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

# The median of the numbers on standard input, one a line.
median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

printf 'load average: %s\n' "$(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-10s %-16s %10s %10s %14s\n' compiler file 'wall (s)' 'cpu (s)' 'peak RSS (MB)'
for cxx in "${compilers[@]}"; do
  flags=(-std=c++20 -O2 -I "$root/include" -DASIO_STANDALONE -DFMT_SHARED)
  if "$cxx" --version | grep -q clang; then
    flags+=(-DASIO_HAS_CO_AWAIT=1 -DASIO_HAS_STD_COROUTINE=1)
  fi
  for src in "$here"/*.cpp; do
    name=$(basename "$src" .cpp)
    : >"$out/times"
    for _ in $(seq "$runs"); do
      /usr/bin/time -f '%e %M %U %S' -o "$out/one" \
        "$cxx" "${flags[@]}" "${extra[@]}" -c "$src" -o "$out/$name.o"
      cat "$out/one" >>"$out/times"
    done
    wall=$(cut -d' ' -f1 "$out/times" | median)
    rss=$(cut -d' ' -f2 "$out/times" | median)
    cpu=$(awk '{ print $3 + $4 }' "$out/times" | median)
    printf '%-10s %-16s %10.2f %10.2f %14.0f\n' "$cxx" "$name" "$wall" "$cpu" \
      "$(echo "$rss / 1024" | bc -l)"
  done
done
