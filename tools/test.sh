#!/usr/bin/env bash
# Installs what is missing, builds respool twice, with both compilers and warnings as errors
# (GCC, Release, with the benchmarks; Clang, Debug, with AddressSanitizer + UBSan), starts a
# throwaway redis-server on a free loopback port, runs the whole test suite with ctest against
# both builds, fuzzes the reply parser and the cluster slot map for 10 seconds per target
# (tools/fuzz.sh), and stops the server. Exits non-zero on any failure.
#
# Environment: JOBS (parallel build jobs, default: number of cores), BUILD_ROOT (default
# build-test/ in the source tree), CTEST_ARGS (extra arguments for ctest, e.g. "-L unit").
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=tools/lib.sh
. "$root/tools/lib.sh"

jobs=${JOBS:-$(nproc)}
build_root=${BUILD_ROOT:-$root/build-test}
read -r -a ctest_args <<<"${CTEST_ARGS:-}"

ensure_packages "${RESPOOL_PACKAGES[@]}" "${RESPOOL_FUZZ_PACKAGES[@]}" \
  "${RESPOOL_TEST_PACKAGES[@]}"

build() {  # build <dir> <C++ compiler> <cmake options...>
  local dir=$1 cxx=$2
  shift 2
  log "configuring $dir ($cxx)"
  # Ninja for a new build directory (one keeps the generator it was made with): with a view
  # of the whole build, it starts a target's compiles before the libraries it links are
  # linked, and spends a third of the CPU time make does on its own bookkeeping.
  local generator=()
  [ -f "$dir/CMakeCache.txt" ] || generator=(-G Ninja)
  # LLVM's linker: the same programs, linked in a third of the time (both compilers take it).
  CXX=$cxx cmake "${generator[@]}" -S "$root" -B "$dir" -DRESPOOL_TEST=ON \
    -DRESPOOL_INTEGRATION_TESTS=ON -DRESPOOL_TOOLS=ON -DRESPOOL_WERROR=ON \
    -DCMAKE_EXE_LINKER_FLAGS=-fuse-ld=lld -DCMAKE_SHARED_LINKER_FLAGS=-fuse-ld=lld "$@" >/dev/null
  # A build directory keeps the compiler it was first configured with.
  grep -q "^CMAKE_CXX_COMPILER:[A-Z]*=\(.*/\)\?$cxx\$" "$dir/CMakeCache.txt" ||
    die "$dir was configured with another compiler; remove it"
  log "building $dir"
  cmake --build "$dir" --parallel "$jobs"
}

# GCC at -O2 warns where it does not at -O0 (-Wrestrict, -Wmaybe-uninitialized): its build is
# the Release one, and it carries the benchmarks, whose smoke runs mean something optimised.
build "$build_root/gcc-release" g++ -DCMAKE_BUILD_TYPE=Release -DRESPOOL_BENCH=ON \
  -DRESPOOL_SANITIZE=OFF
# Line tables are all the sanitizers' reports need, and cost less to build than full debug
# information.
build "$build_root/clang-asan" clang++ -DCMAKE_BUILD_TYPE=Debug -DRESPOOL_BENCH=OFF \
  -DRESPOOL_SANITIZE=ON -DCMAKE_CXX_FLAGS_DEBUG=-gline-tables-only

start_redis
export RESPOOL_TEST_SERVER="127.0.0.1:$REDIS_PORT"
export RESPOOL_TEST_HOST=127.0.0.1 RESPOOL_TEST_PORT="$REDIS_PORT"
export RESPOOL_TEST_UNIX_SOCKET="$REDIS_SOCKET"
export RESPOOL_REQUIRE_SERVER=1  # an unreachable server fails the tests instead of skipping them
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:strict_string_checks=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

status=0
for build in gcc-release clang-asan; do
  log "ctest: $build"
  # Compiling each public header alone (label "headers"), each README example alone (label
  # "readme") and the code that must not compile (label "compile") once is enough: the
  # sanitizers add nothing to them, and Clang compiles every README example in
  # tools/readme_examples.cpp.
  skip=()
  [ "$build" = clang-asan ] && skip=(-LE 'headers|readme|compile')
  # Three times as many tests as cores: many of them spend their time waiting on servers
  # (clusters and sentinels failing over, timeouts running out), not on a CPU.
  ctest --test-dir "$build_root/$build" --output-on-failure --parallel "$((jobs * 3))" \
    "${skip[@]}" "${ctest_args[@]}" || status=1
done
log "fuzzing the reply parser and the cluster slot map"
"$root/tools/fuzz.sh" 10 || status=1
[ "$status" -eq 0 ] && log "all tests passed" || log "tests FAILED"
exit "$status"
