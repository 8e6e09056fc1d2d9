#!/usr/bin/env bash
# Launching from the cache, against running the program directly, in one run:
#   warm launch (closure and view present) of `python3 -c pass` and of `/bin/true`:
#     - the fast path: deploy/bin/exec-view on the view (bash + bubblewrap, no JVM)
#     - exec-shim run (JVM: read-only index, guard rails, view check, then the fast path)
#     - bubblewrap by hand over the hard-link root (one bind of the view at /)
#     - the program run directly on the host (the reference of every ratio)
#   Goal: the fast path <= 1.5x direct for python3.
#   cold start of python3 -c pass (empty cache, master on loopback), and its parts: JVM start,
#   the pull into an empty cache, building the view, and a warm exec-shim run.
# Needs: bwrap, strace, hyperfine, curl, a built tree. Port 17090 on 127.0.0.1.
set -euo pipefail
. bench/lib.sh
need bwrap strace hyperfine curl
[ -f exec-shim/target/exec-shim.jar ] || { echo "build first: mvn -B package -DskipTests" >&2; exit 2; }
port=17090
work=$(mktemp -d "$PWD/$out_dir/launch.XXXXXX")
server_pid=""
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
start_master "$work" "$port"
master="http://127.0.0.1:$port"
echo "write $token" >"$work/token"
trust=(--master "$master" --trust "$work/publisher.pub")

publish() {  # publish ARGS...: prints the manifest digest
  deploy/bin/cache-client publish --master "$master" --key "$work/publisher.key" --token-file "$work/token" \
    --quiet "$@" | tail -1
}
python_ref=$(publish --trace -- /usr/bin/python3 -c pass)
true_ref=$(publish -- /bin/true)

cache=$work/cache
for ref in "$python_ref" "$true_ref"; do
  deploy/bin/exec-shim run "${trust[@]}" --cache "$cache" "$ref" >/dev/null
done

for name in python true; do
  ref=${name}_ref
  ref=${!ref}
  view=$cache/views/${ref#sha256:}
  if [ "$name" = python ]; then direct=(/usr/bin/python3 -c pass); else direct=(/bin/true); fi
  printf -v direct_cmd '%q ' "${direct[@]}"
  printf -v inside_cmd '%q ' "${direct[@]:1}"
  theirs=$(mean_ms 100 -N "$direct_cmd")
  fast=$(mean_ms 100 -N "deploy/bin/exec-view $view")
  by_hand=$(mean_ms 100 -N "bwrap --ro-bind $view/root / --proc /proc --dev /dev --tmpfs /tmp -- ${direct[0]} $inside_cmd")
  shim=$(mean_ms 10 "deploy/bin/exec-shim run --cache $cache $ref")
  row "warm $name: fast path (exec-view)" "$fast" "$theirs" "$direct_cmd directly"
  row "warm $name: bwrap by hand, one bind" "$by_hand" "$theirs" "$direct_cmd directly"
  row "warm $name: exec-shim run (JVM)" "$shim" "$theirs" "$direct_cmd directly"
done

# Cold start: empty cache every run.
theirs=$(mean_ms 10 -N "/usr/bin/python3 -c pass")
cold=$(mean_ms 5 --prepare "rm -rf $work/cold" "deploy/bin/exec-shim run ${trust[*]} --cache $work/cold $python_ref")
jvm=$(mean_ms 5 "deploy/bin/exec-shim --version")
pull=$(mean_ms 5 --prepare "rm -rf $work/cold" \
  "deploy/bin/cache-client pull ${trust[*]} --cache $work/cold --json $python_ref")
deploy/bin/cache-client pull "${trust[@]}" --cache "$work/cold" --json "$python_ref" >/dev/null
build=$(mean_ms 5 --prepare "rm -rf $work/cold/views $work/cold/variants" \
  "deploy/bin/exec-shim run --cache $work/cold $python_ref")
warm=$(mean_ms 5 "deploy/bin/exec-shim run --cache $work/cold $python_ref")
files=$(find "$work/cold/views/${python_ref#sha256:}/root" -type f | wc -l)
row "cold python: exec-shim run, empty cache" "$cold" "$theirs" "python3 -c pass directly ($files files)"
row "  part: JVM start (exec-shim --version)" "$jvm" "$cold" "the cold run"
row "  part: pull into an empty cache" "$pull" "$cold" "the cold run (cache-client pull, own JVM)"
row "  part: view build + launch (closure present)" "$build" "$cold" "the cold run"
row "  part: warm exec-shim run (view present)" "$warm" "$cold" "the cold run"
