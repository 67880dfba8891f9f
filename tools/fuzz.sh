#!/usr/bin/env bash
# Builds the libFuzzer targets (the reply parser's, and the cluster slot map's and command
# table's) with clang (build-fuzz/ in the source tree) and runs each, JOBS of them at a time, for
# SECONDS seconds, starting from the seed corpus in tests/fuzz/corpus/. Prints, for each, its
# executions and whether it crashed. Exits non-zero when a target fails to build or crashes;
# crash inputs are kept in build-fuzz/crashes/.
#
# The working corpora (build-fuzz/corpus/<target>/) keep what earlier runs found; the seed
# corpus in the repository is only ever read.
#
# Usage: tools/fuzz.sh SECONDS
# Environment: JOBS (parallel build jobs, and targets fuzzed at once; default: number of cores),
# FUZZ_ARGS (extra libFuzzer arguments, e.g. "-runs=10000000" or "-seed=1").
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=tools/lib.sh
. "$root/tools/lib.sh"

if [ $# -ne 1 ] || ! [[ $1 =~ ^[0-9]+$ ]]; then die "usage: tools/fuzz.sh SECONDS"; fi
seconds=$1
jobs=${JOBS:-$(nproc)}
read -r -a fuzz_args <<<"${FUZZ_ARGS:-}"
build=$root/build-fuzz
targets=(parser_fuzz parser_split_fuzz slot_map_fuzz)

ensure_packages "${RESPOOL_FUZZ_PACKAGES[@]}"

log "configuring $build"
mkdir -p "$build"
CC=clang CXX=clang++ cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Debug -DRESPOOL_FUZZ=ON \
  -DRESPOOL_TEST=OFF -DRESPOOL_INTEGRATION_TESTS=OFF -DRESPOOL_BENCH=OFF -DRESPOOL_TOOLS=OFF \
  -DRESPOOL_INSTALL=OFF >"$build/configure.log" 2>&1 \
  || { tail -n 20 "$build/configure.log" >&2; die "configuring $build failed"; }
log "building ${targets[*]}"
cmake --build "$build" --parallel "$jobs" --target "${targets[@]}" >"$build/build.log" 2>&1 \
  || { tail -n 40 "$build/build.log" >&2; die "building the fuzz targets failed"; }

# parser_split_fuzz reads its first bytes as where to cut the stream: its seeds are the same
# replies behind a header that cuts them at bytes 5, 12 and 19.
seed_corpus() {  # seed_corpus <target> <dir>
  local f
  mkdir -p "$2"
  for f in "$root"/tests/fuzz/corpus/*; do
    if [ "$1" = parser_split_fuzz ]; then
      { printf '\003\005\000\014\000\023\000'; cat "$f"; } >"$2/seed-$(basename "$f")"
    else
      cp "$f" "$2/seed-$(basename "$f")"
    fi
  done
}

export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}

fuzz() {  # fuzz <target>: runs it for SECONDS, its output in build-fuzz/<target>.log
  local target=$1 corpus=$build/corpus/$1
  seed_corpus "$target" "$corpus"
  "$build/tests/fuzz/$target" -max_total_time="$seconds" -max_len=4096 -timeout=10 \
    -dict="$root/tests/fuzz/resp.dict" -print_final_stats=1 \
    -artifact_prefix="$build/crashes/$target-" "${fuzz_args[@]}" "$corpus" \
    >"$build/$target.log" 2>&1
}

report() {  # report <target> <exit status>: one line, and the crash's first lines
  local target=$1 rc=$2 out=$build/$1.log runs rate cov
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$out")
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$out")
  cov=$(grep -o 'cov: [0-9]* ft: [0-9]* corp: [0-9]*/[^ ]*' "$out" | tail -n 1 || true)
  if [ "$rc" -eq 0 ]; then
    printf '%s: %s executions (%s/s), %s, no crash\n' "$target" "${runs:-?}" "${rate:-?}" "$cov"
    return 0
  fi
  printf '%s: CRASHED (exit %s) after %s executions (full log: %s)\n' \
    "$target" "$rc" "${runs:-?}" "$out"
  grep -E 'broken promise|ERROR: |runtime error: |SUMMARY: |Test unit written' "$out" \
    | head -n 8 || true
  grep -E '^ +#[0-9]+ .* in (respool::|\(anonymous namespace\)::|LLVMFuzzerTestOneInput)' \
    "$out" | head -n 8 || true
  return 1
}

# Each target is one process on one core: up to JOBS of them run at the same time, each for
# the whole SECONDS, so that a second core does not sit idle while a target runs alone.
mkdir -p "$build/crashes"
status=0
pids=() rcs=()
for i in "${!targets[@]}"; do
  if [ "$i" -ge "$jobs" ]; then
    wait "${pids[i - jobs]}" && rcs[i - jobs]=0 || rcs[i - jobs]=$?
  fi
  log "fuzzing ${targets[i]} for ${seconds}s"
  fuzz "${targets[i]}" &
  pids[i]=$!
done
for i in "${!targets[@]}"; do
  if [ -z "${rcs[i]:-}" ]; then
    wait "${pids[i]}" && rcs[i]=0 || rcs[i]=$?
  fi
  report "${targets[i]}" "${rcs[i]}" || status=1
done
exit "$status"
