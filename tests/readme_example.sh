#!/bin/sh
# Compiles README.md's example number <n> (its n-th ```cpp block) as a file of its own.
# Usage: readme_example.sh <README.md> <n> <expected count> <c++ compiler> <flags file> <dir>
set -eu
readme=$1 n=$2 expected=$3 cxx=$4 flags=$5 dir=$6
count=$(grep -c '^```cpp$' "$readme")
if [ "$count" -ne "$expected" ]; then
  echo "README.md has $count C++ examples, the tests were made for $expected: re-run cmake"
  exit 1
fi
mkdir -p "$dir"
file="$dir/example_$n.cpp"
awk -v want="$n" '
  $0 == "```cpp" { seen++; inside = (seen == want); next }
  $0 == "```" { inside = 0; next }
  inside { print }
' "$readme" > "$file"
echo "README.md example $n, as $file:"
cat "$file"
exec "$cxx" "@$flags" -fsyntax-only "$file"
