#!/usr/bin/env bash
# Runs cluster_roundtrip_bench against a throwaway single-node Redis Cluster: one
# cluster-enabled redis-server on a free loopback port (its bus port, port + 10000, free too)
# that owns all 16384 slots. The server is stopped on exit.
#
#   bench/cluster_bench.sh [--pin CPU] BENCH_BINARY [BENCH_OPTIONS...]
#
# --pin CPU runs the server and the benchmark under `taskset -c CPU`, so that a round trip
# wakes no other CPU. Exits 77 (skipped) when redis-server or redis-cli is missing.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
source "$root/tools/lib.sh"

pin=()
if [ "${1:-}" = --pin ]; then
  [ $# -ge 2 ] || die "--pin needs a CPU number"
  pin=(taskset -c "$2")
  shift 2
fi
[ $# -ge 1 ] || die "usage: bench/cluster_bench.sh [--pin CPU] BENCH_BINARY [BENCH_OPTIONS...]"
bench=$1
shift
[ -x "$bench" ] || die "$bench is not an executable (build the cluster_roundtrip_bench target)"
for tool in redis-server redis-cli; do
  command -v "$tool" >/dev/null || { log "$tool is not installed: skipped"; exit 77; }
done

dir=$(mktemp -d "${TMPDIR:-/tmp}/respool-cluster-bench.XXXXXX")
pidfile=$dir/redis.pid
stop() {
  if [ -s "$pidfile" ]; then
    local pid i
    pid=$(cat "$pidfile")
    kill "$pid" 2>/dev/null || true
    for i in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -rf "$dir"
}
trap stop EXIT
trap 'stop; exit 130' INT TERM

# Starts the server on port $1 and waits (at most 10 s) until it answers; fails when the port
# was taken meanwhile (tests running beside this one pick free ports too), or when what answers
# there is another process.
start_server() {
  rm -f "$pidfile"
  : >"$dir/redis.log"
  "${pin[@]}" redis-server --port "$1" --bind 127.0.0.1 --cluster-enabled yes \
    --cluster-config-file "$dir/nodes.conf" --save '' --appendonly no --daemonize yes \
    --dir "$dir" --pidfile "$pidfile" --logfile "$dir/redis.log"
  local i answer
  for i in $(seq 1 100); do
    grep -q "Address already in use" "$dir/redis.log" && return 1
    answer=$(redis-cli -h 127.0.0.1 -p "$1" info server 2>/dev/null | tr -d '\r' |
      sed -n 's/^process_id://p')
    if [ -n "$answer" ] && [ -s "$pidfile" ]; then
      [ "$answer" = "$(cat "$pidfile")" ] && return 0
      return 1
    fi
    sleep 0.1
  done
  tail -n 20 "$dir/redis.log" >&2
  die "redis-server did not start"
}

# A port below 55536 (its bus port must exist) that is free along with port + 10000.
port=
for attempt in $(seq 1 50); do
  p=$((20000 + (RANDOM * 32768 + RANDOM) % 35000))
  if port_in_use "$p" || port_in_use $((p + 10000)); then continue; fi
  if start_server "$p"; then
    port=$p
    break
  fi
done
[ -n "$port" ] || die "found no free port pair"

cli() { redis-cli -h 127.0.0.1 -p "$port" "$@"; }
# Bounded wait: 10 s for the cluster to be ok.
[ "$(cli cluster addslotsrange 0 16383)" = OK ] || die "CLUSTER ADDSLOTSRANGE failed"
for i in $(seq 1 100); do
  cli cluster info | grep -q '^cluster_state:ok' && break
  [ "$i" -eq 100 ] && die "cluster_state is not ok after 10 s"
  sleep 0.1
done
log "single-node cluster: redis-server $(redis-server --version | sed 's/.*v=\([^ ]*\).*/\1/')" \
  "on 127.0.0.1:$port${pin:+, pinned with the benchmark: ${pin[*]}}"

RESPOOL_BENCH_SERVER=127.0.0.1:$port "${pin[@]}" "$bench" "$@"
