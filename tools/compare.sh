#!/usr/bin/env bash
# respool-benchmark against redis-benchmark: the same parameters, one throwaway redis-server,
# the two tools alternating (which one goes first flips every repetition), and a table of
# medians and ratios: throughput and p50/p99 latency from each tool's --csv line, and the
# client's CPU time per request (user + system of the tool's process, from the shell's
# accounting of its children).
#
#   tools/compare.sh [-b BUILD_DIR] [-r REPS] [-a none|cross|same] [-o OUT_DIR] [-q]
#
#   -b  build tree holding tools/respool-benchmark (default: build-bench-tool, then
#       build); build it Release:
#         cmake -S . -B build-bench-tool -DCMAKE_BUILD_TYPE=Release -DRESPOOL_TEST=OFF
#         cmake --build build-bench-tool --target respool-benchmark
#   -r  repetitions of every row (default 3)
#   -a  CPU placement (taskset): none (default) lets the scheduler place the server and the
#       client; cross pins the server to CPU 0 and the clients to CPU 1; same pins all three
#       to CPU 0. With one client the scheduler's choice decides everything: on a VM a
#       wake-up across CPUs costs tens of microseconds, on the same CPU a few, so unpinned
#       -c 1 runs swing between the two; the pinned modes show each side separately.
#   -o  directory for every run's CSV and times (default: a temporary one, removed)
#   -q  quick: a tenth of the requests (to try the script, not to quote)
#
# Rows: SET and GET with -d 16 and -d 1024, at -c 1 -P 1, -c 1 -P 128, -c 50 -P 1 and
# -c 50 -P 16; -n is scaled per row so that each run lasts about a second. Each run is one
# test (-t set or -t get) in its own process, so the process's CPU time is that test's; a
# SET always runs right before the GET that reads its value.
#
# Targets, per row: throughput at least redis-benchmark's; client CPU per request at most
# 0.7x redis-benchmark's with pipelining (-P > 1), at most 1.0x without.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(dirname "$here")
# shellcheck source=tools/lib.sh
source "$here/lib.sh"

build=""
reps=3
affinity=none
out_dir=""
quick=0
while getopts "b:r:a:o:qh" opt; do
  case $opt in
    b) build=$OPTARG ;;
    r) reps=$OPTARG ;;
    a) affinity=$OPTARG ;;
    o) out_dir=$OPTARG ;;
    q) quick=1 ;;
    *) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 2 ;;
  esac
done

if [ -z "$build" ]; then
  for b in "$root/build-bench-tool" "$root/build"; do
    if [ -x "$b/tools/respool-benchmark" ]; then build=$b; break; fi
  done
fi
tool=${build:+$build/tools/respool-benchmark}
if [ -z "$tool" ] || [ ! -x "$tool" ]; then
  die "respool-benchmark not found: build it first (see -b)"
fi
command -v redis-benchmark >/dev/null || die "redis-benchmark is not installed (redis-tools)"
[[ $reps =~ ^[1-9][0-9]*$ ]] || die "-r wants a positive number"
case $affinity in
  none) client_pin=() ;;
  cross) client_pin=(taskset -c 1) ;;
  same) client_pin=(taskset -c 0) ;;
  *) die "-a wants none, cross or same" ;;
esac
if [ "$affinity" != none ]; then
  command -v taskset >/dev/null || die "-a $affinity needs taskset (util-linux)"
  [ "$(nproc)" -ge 2 ] || die "-a $affinity needs two CPUs"
fi

keep_out=1
if [ -z "$out_dir" ]; then
  out_dir=$(mktemp -d "${TMPDIR:-/tmp}/respool-compare.XXXXXX")
  keep_out=0
fi
mkdir -p "$out_dir"

start_redis
if [ "$affinity" != none ]; then taskset -p -c 0 "$REDIS_PID" >/dev/null; fi
watcher=""
cleanup() {
  if [ -n "$watcher" ]; then kill "$watcher" 2>/dev/null || true; fi
  stop_redis
  if [ "$keep_out" -eq 0 ]; then rm -rf "$out_dir"; fi
}
trap cleanup EXIT
trap 'cleanup; exit 130' INT TERM

# Runs "$@" with its stdout in $1.csv, and writes the CPU seconds it used, user and system,
# to $1.cpu. `times` in the subshell reports that subshell's children: the tool alone.
timed_run() {
  local base=$1
  shift
  (
    "$@" >"$base.csv" 2>"$base.err"
    times >"$base.times"
  )
  awk 'NR == 2 {
         for (i = 1; i <= 2; i++) {
           split($i, ms, "m")
           sub("s", "", ms[2])
           t[i] = ms[1] * 60 + ms[2]
         }
         printf "%.6f %.6f\n", t[1], t[2]
       }' "$base.times" >"$base.cpu"
}

# Field k (1-based) of the last CSV line of a run, without its quotes.
csv_field() {
  tail -n 1 "$1.csv" | awk -F'","' -v k="$2" '{ gsub(/"/, "", $k); print $k }'
}

median() {
  sort -g | awk '{ v[NR] = $1 } END {
    if (NR == 0) { print "nan"; exit }
    if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# clients pipeline requests-for-d16 requests-for-d1024
rows=(
  "1 1 20000 20000"
  "1 128 1000000 600000"
  "50 1 150000 150000"
  "50 16 800000 600000"
)
sizes=(16 1024)
tests=(set get)

# Other work on the machine skews every figure: once a second, a background sampler notes the
# running processes that are neither the server, the tools nor this script, and the log says
# how often it saw any.
watch_others() {
  while :; do
    ps -eo stat=,comm= | awk '$1 ~ /^R/ && $2 !~ /^(redis-|respool-)/ &&
      $2 !~ /^(ps|awk|bash|sleep|taskset|sort|tail|grep|cat|wc|tr|uniq|head|compare\.sh)$/ {
        print $2 }' |
      sort -u | tr '\n' ' '
    echo
    sleep 1
  done
}

log "respool-benchmark: $tool"
log "redis-benchmark: $(redis-benchmark --version)"
log "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
# Sets c, p and n (clients, pipeline, requests) for value size $1 and a line $2 of rows.
read_row() {
  local n16 n1024
  read -r c p n16 n1024 <<<"$2"
  n=$n16
  [ "$1" = 1024 ] && n=$n1024
  [ "$quick" -eq 1 ] && n=$((n / 10))
  return 0
}

started=$SECONDS
watch_others >"$out_dir/others.txt" &
watcher=$!

results=$out_dir/results.txt
: >"$results"
for d in "${sizes[@]}"; do
  for row in "${rows[@]}"; do
    read_row "$d" "$row"
    for rep in $(seq 1 "$reps"); do
      if [ $((rep % 2)) -eq 1 ]; then order=(redis respool); else order=(respool redis); fi
      for who in "${order[@]}"; do
        if [ "$who" = redis ]; then bin=redis-benchmark; else bin=$tool; fi
        for t in "${tests[@]}"; do
          base="$out_dir/$who-$t-d$d-c$c-P$p-r$rep"
          timed_run "$base" ${client_pin[@]+"${client_pin[@]}"} "$bin" -h 127.0.0.1 \
            -p "$REDIS_PORT" -c "$c" -P "$p" -n "$n" -d "$d" -t "$t" --csv
          grep -q '^"' "$base.csv" || die "$who -t $t failed: $(cat "$base.err")"
          printf '%s %s %s %s %s %s %s %s %s %s\n' "$who" "$t" "$d" "$c" "$p" "$n" \
            "$(csv_field "$base" 2)" "$(csv_field "$base" 5)" "$(csv_field "$base" 7)" \
            "$(awk -v n="$n" '{ printf "%.4f %.4f", ($1 + $2) * 1e6 / n, $1 * 1e6 / n }' \
              "$base.cpu")" >>"$results"
        done
      done
    done
  done
done
kill "$watcher" 2>/dev/null || true
wait "$watcher" 2>/dev/null || true
busy=$(awk 'NF > 0' "$out_dir/others.txt" | wc -l)
log "$((SECONDS - started)) s; other processes running in $busy of $(wc -l <"$out_dir/others.txt")" \
  "one-second samples$( [ "$busy" -gt 0 ] && printf ': %s' \
  "$(tr ' ' '\n' <"$out_dir/others.txt" | awk 'NF' | sort | uniq -c | sort -rn | head -5 |
    awk '{ printf "%s%s x%s", (NR > 1 ? ", " : ""), $2, $1 }')")"

# Medians per (tool, test, size, clients, pipeline), then one line per row.
pick() {  # who test d c p column
  awk -v w="$1" -v t="$2" -v d="$3" -v c="$4" -v p="$5" -v k="$6" \
    '$1 == w && $2 == t && $3 == d && $4 == c && $5 == p { print $k }' "$results" | median
}

echo
echo "respool-benchmark against redis-benchmark $(redis-benchmark --version | awk '{print $2}'):" \
  "medians of $reps alternating runs, placement: $affinity; CPU = the client process's" \
  "user + system µs per request (user alone in parentheses)"
echo
echo "| test | -d | -c | -P | -n | rps redis | rps respool | ratio | p50 ms redis / respool | p99 ms redis / respool | CPU redis | CPU respool | ratio | targets |"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
for d in "${sizes[@]}"; do
  for row in "${rows[@]}"; do
    read_row "$d" "$row"
    for t in "${tests[@]}"; do
      rr=$(pick redis "$t" "$d" "$c" "$p" 7)
      rp=$(pick respool "$t" "$d" "$c" "$p" 7)
      l50r=$(pick redis "$t" "$d" "$c" "$p" 8)
      l50p=$(pick respool "$t" "$d" "$c" "$p" 8)
      l99r=$(pick redis "$t" "$d" "$c" "$p" 9)
      l99p=$(pick respool "$t" "$d" "$c" "$p" 9)
      cr=$(pick redis "$t" "$d" "$c" "$p" 10)
      cp=$(pick respool "$t" "$d" "$c" "$p" 10)
      ur=$(pick redis "$t" "$d" "$c" "$p" 11)
      up=$(pick respool "$t" "$d" "$c" "$p" 11)
      awk -v t="${t^^}" -v d="$d" -v c="$c" -v p="$p" -v n="$n" -v rr="$rr" -v rp="$rp" \
        -v l50r="$l50r" -v l50p="$l50p" -v l99r="$l99r" -v l99p="$l99p" -v cr="$cr" -v cp="$cp" \
        -v ur="$ur" -v up="$up" \
        'BEGIN {
           tr = rp / rr; tc = cp / cr; cap = (p > 1) ? 0.7 : 1.0
           ok_t = tr >= 1.0 ? "rps met" : "rps NOT met"
           ok_c = tc <= cap ? "CPU met" : "CPU NOT met"
           printf "| %s | %s | %s | %s | %s | %.0f | %.0f | %.2f | %.3f / %.3f | %.3f / %.3f | %.3f (%.3f) | %.3f (%.3f) | %.2f (≤ %.1f) | %s, %s |\n",
             t, d, c, p, n, rr, rp, tr, l50r, l50p, l99r, l99p, cr, ur, cp, up, tc, cap, ok_t, ok_c
         }'
    done
  done
done
if [ "$keep_out" -eq 1 ]; then
  echo
  echo "Every run: $out_dir (results.txt: tool test d c P n rps p50 p99 cpu_us_per_request" \
    "user_us_per_request)"
fi
