# Shared by tools/quickstart.sh, tools/test.sh and tools/fuzz.sh (sourced, not run).
#
#   ensure_packages          installs the Debian packages that are missing (apt-get)
#   start_redis              starts a throwaway redis-server on a free loopback port and sets
#                            REDIS_PORT, REDIS_SOCKET, REDIS_PID; stop_redis runs on exit

# Build tools, the libraries respool uses, hiredis for the comparison benchmark, and Redis for
# the integration tests.
RESPOOL_PACKAGES=(g++ make cmake pkg-config libasio-dev libfmt-dev googletest libgtest-dev
  libbenchmark-dev libssl-dev libhiredis-dev libedit-dev redis-server redis-tools openssl)

# What tools/fuzz.sh needs: clang, libFuzzer's runtime (libclang-rt-dev, which clang only
# recommends), llvm-symbolizer for readable crash stacks (llvm), and what configuring needs.
RESPOOL_FUZZ_PACKAGES=(clang libclang-rt-dev llvm make cmake libasio-dev libfmt-dev)

# What tools/test.sh adds: LLVM's linker, which links its ~150 test programs in a third of the
# time GNU ld takes (a fifth of a minute on 2 cores for the sanitized ones alone), and Ninja,
# which builds them with less overhead than make.
RESPOOL_TEST_PACKAGES=(lld ninja-build)

log() { printf '==> %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

ensure_packages() {
  local missing=() p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' \
      || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  log "installing: ${missing[*]}"
  local sudo=()
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || die "need root or sudo to install: ${missing[*]}"
    sudo=(sudo)
  fi
  export DEBIAN_FRONTEND=noninteractive
  # A bare machine has no package lists yet; an old one may have stale ones.
  "${sudo[@]}" apt-get update -qq || die "apt-get update failed"
  "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" \
    || die "apt-get install failed for: ${missing[*]}"
}

port_in_use() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

stop_redis() {
  if [ -n "${REDIS_PID:-}" ] && kill -0 "$REDIS_PID" 2>/dev/null; then
    kill "$REDIS_PID" 2>/dev/null || true
    local i
    for i in $(seq 1 50); do kill -0 "$REDIS_PID" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$REDIS_PID" 2>/dev/null || true
  fi
  REDIS_PID=
  if [ -n "${REDIS_DIR:-}" ] && [ -d "$REDIS_DIR" ]; then rm -rf "$REDIS_DIR"; fi
}

start_redis() {
  command -v redis-server >/dev/null || die "redis-server is not installed"
  REDIS_DIR=$(mktemp -d "${TMPDIR:-/tmp}/respool-redis.XXXXXX")
  trap stop_redis EXIT
  trap 'stop_redis; exit 130' INT TERM
  local attempt port i
  for attempt in $(seq 1 20); do
    # Never the default port: a random one in 20000-59999 that nothing listens on.
    port=$((20000 + (RANDOM * 32768 + RANDOM) % 40000))
    port_in_use "$port" && continue
    cat >"$REDIS_DIR/redis.conf" <<CONF
port $port
bind 127.0.0.1
unixsocket $REDIS_DIR/redis.sock
unixsocketperm 700
dir $REDIS_DIR
logfile $REDIS_DIR/redis.log
save ""
appendonly no
daemonize no
enable-debug-command local
CONF
    redis-server "$REDIS_DIR/redis.conf" &
    REDIS_PID=$!
    # Bounded readiness wait: 10 s, then give up on this port.
    for i in $(seq 1 100); do
      if ! kill -0 "$REDIS_PID" 2>/dev/null; then break; fi
      if [ "$(redis-cli -h 127.0.0.1 -p "$port" ping 2>/dev/null)" = PONG ]; then
        REDIS_PORT=$port
        REDIS_SOCKET=$REDIS_DIR/redis.sock
        export REDIS_PORT REDIS_SOCKET REDIS_PID
        log "redis-server $(redis-server --version | sed 's/.*v=\([^ ]*\).*/\1/') on 127.0.0.1:$port (pid $REDIS_PID)"
        return 0
      fi
      sleep 0.1
    done
    kill "$REDIS_PID" 2>/dev/null || true
    wait "$REDIS_PID" 2>/dev/null || true
    REDIS_PID=
  done
  tail -n 20 "$REDIS_DIR/redis.log" >&2 2>/dev/null || true
  die "could not start redis-server on a free loopback port"
}
