#!/usr/bin/env bash
# A throwaway local Redis Cluster for benchmarks: 3 masters and 3 replicas on 127.0.0.1, no
# persistence, each node in its own directory under one temporary directory.
#
#   tools/local_cluster.sh start [BASE_PORT]   # nodes on BASE_PORT..BASE_PORT+5 (default 30001)
#   tools/local_cluster.sh stop DIR            # DIR: what start printed
#   tools/local_cluster.sh failover PORT       # the replica on PORT takes over its master
#
# start prints the directory on stdout and returns once every node says cluster_state:ok. A
# node's bus port is its port + 10000, so BASE_PORT + 5 must stay below 55536.
set -euo pipefail

start() {
  local base=${1:-30001}
  [ $((base + 5)) -lt 55536 ] || { echo "ports too high: bus ports would pass 65535" >&2; exit 1; }
  local dir ports=() p
  dir=$(mktemp -d /tmp/respool-cluster.XXXXXX)
  for p in $(seq "$base" $((base + 5))); do
    mkdir "$dir/$p"
    redis-server --port "$p" --bind 127.0.0.1 --cluster-enabled yes \
      --cluster-config-file "$dir/$p/nodes.conf" --cluster-node-timeout 1000 \
      --dir "$dir/$p" --save '' --appendonly no --daemonize yes \
      --pidfile "$dir/$p/redis.pid" --logfile "$dir/$p/redis.log"
    ports+=("127.0.0.1:$p")
  done
  # Bounded wait for every node to answer.
  for p in $(seq "$base" $((base + 5))); do
    for _ in $(seq 100); do redis-cli -p "$p" ping >/dev/null 2>&1 && break; sleep 0.1; done
  done
  redis-cli --cluster create "${ports[@]}" --cluster-replicas 1 --cluster-yes >"$dir/create.log"
  for p in $(seq "$base" $((base + 5))); do
    for _ in $(seq 300); do
      redis-cli -p "$p" cluster info | grep -q 'cluster_state:ok' && break
      sleep 0.1
    done
  done
  echo "$dir"
}

# CLUSTER FAILOVER (coordinated with the master) on a replica, then a bounded wait until it
# says it is a master and every node of its view says cluster_state:ok.
failover() {
  local port=$1 p
  redis-cli -p "$port" cluster failover >/dev/null
  for _ in $(seq 200); do
    redis-cli -p "$port" role | head -1 | grep -q '^master$' && break
    sleep 0.05
  done
  redis-cli -p "$port" role | head -1 | grep -q '^master$' \
    || { echo "127.0.0.1:$port did not take over" >&2; exit 1; }
  for p in $(redis-cli -p "$port" cluster nodes | awk '{split($2, a, "[:@]"); print a[2]}'); do
    for _ in $(seq 100); do
      redis-cli -p "$p" cluster info | grep -q 'cluster_state:ok' && break
      sleep 0.05
    done
  done
}

stop() {
  local dir=$1 pid f
  for f in "$dir"/*/redis.pid; do
    [ -f "$f" ] || continue
    pid=$(cat "$f")
    kill "$pid" 2>/dev/null || true
  done
  sleep 0.5
  rm -rf "$dir"
}

case "${1:-}" in
  start) shift; start "$@" ;;
  stop) shift; stop "$@" ;;
  failover) shift; failover "$@" ;;
  *) echo "usage: $0 start [BASE_PORT] | stop DIR | failover PORT" >&2; exit 2 ;;
esac
