#!/usr/bin/env bash
# Runs closure-cache's benchmarks side by side with their references and prints one row per
# measurement: what was timed, ours, the reference, and ours/reference (below 1.0 is faster).
#
#   bench/run.sh            all benchmarks
#   bench/run.sh closure    only the named ones (the bench/NAME.sh scripts)
#
# Needs a built tree (mvn -B package -DskipTests) and hyperfine; each benchmark names anything
# else it needs. Results go to stdout; raw measurements to bench/out/.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cd "$here/.."

all=()
for f in "$here"/*.sh; do
  n=$(basename "$f" .sh)
  [ "$n" = run ] || [ "$n" = lib ] || all+=("$n")
done
names=("$@")
[ ${#names[@]} -gt 0 ] || names=("${all[@]}")

echo "machine: $(nproc) cores, $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)," \
  "$(free -g | awk '/Mem:/ {print $2}') GiB, $(uname -sr), $(. /etc/os-release && echo "$PRETTY_NAME")"
echo "java:    $(java -version 2>&1 | head -1)"
echo "date:    $(date -u +%Y-%m-%dT%H:%M:%SZ)"
echo
printf '%-44s %14s %14s %7s  %s\n' "benchmark" "ours" "reference" "ratio" "reference (ratio = ours/reference)"
for n in "${names[@]}"; do
  if [ ! -f "$here/$n.sh" ]; then
    echo "no benchmark named $n (have: ${all[*]})" >&2
    exit 2
  fi
  bash "$here/$n.sh"
done
