#!/usr/bin/env bash
# Mass insertion: 1 000 000 SET commands through `respool-cli --pipe` and `redis-cli --pipe`,
# alternately, against a throwaway redis-server. Prints each run's wall time and the client's
# CPU time (user + system, from the shell's accounting of the child), the medians, and checks
# that both tools printed the same summary.
#
#   bench/cli_pipe.sh [BUILD_DIR] [RUNS] [COMMANDS]     (defaults: build-bench 5 1000000)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
source "$root/tools/lib.sh"
build=${1:-$root/build-bench}
runs=${2:-5}
commands=${3:-1000000}
cli=$build/tools/respool-cli
[ -x "$cli" ] || die "build $cli first (cmake -DCMAKE_BUILD_TYPE=Release; target respool-cli)"
command -v redis-cli >/dev/null || die "redis-cli is not installed (Debian package redis-tools)"

start_redis
input=$REDIS_DIR/input.resp
# SET key:<i> value:<i>, in RESP.
awk -v n="$commands" 'BEGIN {
  for (i = 0; i < n; i++) {
    k = "key:" i; v = "value:" i
    printf "*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n", length(k), k, length(v), v
  }
}' >"$input"

# One run: prints "wall cpu" in seconds and leaves the tool's stdout in $REDIS_DIR/<name>.out.
measure() {
  local name=$1 bin=$2 start end
  redis-cli -p "$REDIS_PORT" flushall >/dev/null
  start=$(date +%s.%N)
  bash -c '"$1" -p "$2" --pipe <"$3" >"$4"; times' _ "$bin" "$REDIS_PORT" "$input" \
    "$REDIS_DIR/$name.out" >"$REDIS_DIR/$name.times"
  end=$(date +%s.%N)
  # `times` prints the shell's and then its children's user and system time: "0m1.234s 0m0.1s".
  local cpu
  cpu=$(sed -n 2p "$REDIS_DIR/$name.times" | awk '{
    t = 0
    for (f = 1; f <= 2; f++) { split($f, p, "m"); sub("s", "", p[2]); t += p[1] * 60 + p[2] }
    printf "%.3f", t }')
  awk -v a="$start" -v b="$end" -v c="$cpu" 'BEGIN { printf "%.3f %s\n", b - a, c }'
}

declare -a rw rc cw cc
for i in $(seq 1 "$runs"); do
  read -r w c < <(measure respool "$cli"); rw+=("$w"); rc+=("$c")
  read -r w c < <(measure redis redis-cli); cw+=("$w"); cc+=("$c")
  printf 'run %d: respool-cli wall %ss cpu %ss | redis-cli wall %ss cpu %ss\n' \
    "$i" "${rw[-1]}" "${rc[-1]}" "${cw[-1]}" "${cc[-1]}"
done
median() { printf '%s\n' "$@" | sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
mrw=$(median "${rw[@]}"); mrc=$(median "${rc[@]}"); mcw=$(median "${cw[@]}"); mcc=$(median "${cc[@]}")
printf 'median of %d: respool-cli wall %ss cpu %ss | redis-cli wall %ss cpu %ss\n' \
  "$runs" "$mrw" "$mrc" "$mcw" "$mcc"
awk -v a="$mrw" -v b="$mcw" -v c="$mrc" -v d="$mcc" \
  'BEGIN { printf "respool-cli / redis-cli: wall %.2fx, cpu %.2fx\n", a / b, c / d }'
if cmp -s "$REDIS_DIR/respool.out" "$REDIS_DIR/redis.out"; then
  echo "summaries: identical"
  tail -n 1 "$REDIS_DIR/respool.out"
else
  echo "summaries differ:"; diff "$REDIS_DIR/respool.out" "$REDIS_DIR/redis.out" || true
  exit 1
fi
