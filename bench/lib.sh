# Helpers the benchmark scripts source; not a benchmark itself.

out_dir=bench/out
mkdir -p "$out_dir"

need() {
  for tool in "$@"; do
    if ! command -v "$tool" >/dev/null 2>&1; then
      echo "this benchmark needs $tool (Debian: apt-get install -y $tool)" >&2
      exit 2
    fi
  done
}

# mean_ms RUNS COMMAND...: hyperfine's mean wall time of COMMAND, in milliseconds.
mean_ms() {
  local runs=$1
  shift
  local csv
  csv=$(mktemp "$out_dir/hf.XXXXXX.csv")
  hyperfine --style none --warmup 3 --runs "$runs" --export-csv "$csv" "$@" >/dev/null 2>&1 || {
    echo "hyperfine failed on: $*" >&2
    exit 1
  }
  awk -F, 'NR == 2 { printf "%.3f", $2 * 1000 }' "$csv"
  rm -f "$csv"
}

# row NAME OURS_MS REFERENCE_MS WHAT: one timing line (ratio below 1.0: ours is faster).
row() {
  unit_row "$1" "$2" "$3" ms "$4"
}

# unit_row NAME OURS REFERENCE UNIT WHAT: one line in any unit; the ratio is ours/reference.
unit_row() {
  awk -v n="$1" -v a="$2" -v b="$3" -v u="$4" -v w="$5" \
    'BEGIN { printf "%-44s %9.2f %-4s %9.2f %-4s %6.2fx  %s\n", n, a, u, b, u, (b == 0 ? 0 : a / b), w }'
}
