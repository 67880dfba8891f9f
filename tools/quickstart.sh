#!/usr/bin/env bash
# From a bare Debian 12 machine to a running respool: installs what is missing, builds in
# Release, talks to a Redis server, and runs the encoding benchmark briefly.
#
# Usage: tools/quickstart.sh [-h host] [-p port]
# Without -h (or REDIS_URL=redis://host:port), a throwaway redis-server is started on a free
# loopback port and stopped at the end.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=tools/lib.sh
. "$root/tools/lib.sh"

host= port=6379
if [ -n "${REDIS_URL:-}" ]; then
  # redis://[user:pass@]host[:port][/db]
  rest=${REDIS_URL#*://}
  rest=${rest##*@}
  rest=${rest%%/*}
  host=${rest%%:*}
  [ "$rest" != "$host" ] && port=${rest##*:}
fi
while [ $# -gt 0 ]; do
  case $1 in
    -h) host=${2:?-h needs a host}; shift 2 ;;
    -p) port=${2:?-p needs a port}; shift 2 ;;
    *) die "usage: $0 [-h host] [-p port]" ;;
  esac
done

ensure_packages "${RESPOOL_PACKAGES[@]}"

build=$root/build
log "building respool (Release) in $build"
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DRESPOOL_BENCH=ON -DRESPOOL_TOOLS=ON \
  -DRESPOOL_TEST=OFF >/dev/null
cmake --build "$build" --parallel "$(nproc)"

if [ -z "$host" ]; then
  start_redis
  host=127.0.0.1 port=$REDIS_PORT
fi

if [ -x "$build/tools/respool-cli" ]; then
  log "respool-cli -h $host -p $port PING"
  "$build/tools/respool-cli" -h "$host" -p "$port" PING
  "$build/tools/respool-cli" -h "$host" -p "$port" INFO server | head -n 5
else
  log "respool-example -h $host -p $port"
  "$build/tools/respool-example" -h "$host" -p "$port"
fi

log "encoding benchmark (short run; bench/RESULTS.md has the full figures)"
"$build/bench/encode_bench" --benchmark_filter='^encode/' --benchmark_min_time=0.05
