#!/bin/sh
# Compiles main.cpp with a plain compiler command line and the flags of the installed
# respool.pc only, then runs it.
# Usage: build-and-run.sh <pkg-config> <directory of respool.pc> <c++ compiler> <build dir>
set -eu
pkg_config=$1 pc_dir=$2 cxx=$3 out=$4
here=$(dirname "$0")
export PKG_CONFIG_PATH="$pc_dir"
flags=$("$pkg_config" --cflags --libs respool)
echo "pkg-config --cflags --libs respool: $flags"
mkdir -p "$out"
# shellcheck disable=SC2086 # the flags are words
"$cxx" "$here/main.cpp" -o "$out/pkg_config_consumer" $flags
exec "$out/pkg_config_consumer"
