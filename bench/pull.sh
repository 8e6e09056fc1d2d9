#!/usr/bin/env bash
# Node pulls: `cache-client pull` from cache-server on loopback against a reference in the same
# run: the same objects fetched with parallel curl (8 at once) from nginx serving the same store,
# into files, then `sync`. Two real closures:
#   python: /usr/bin/python3 traced, with its whole standard library (~1,400 files)
#   jdk:    the JDK 17 tree with its java launcher (~300 MB)
# Rows: cold pull time (ours includes the JVM start; goal <= 1.0x the reference), warm pull
# time (everything present), and the client's peak RSS while pulling the JDK (goal <= 200 MiB).
# Needs: nginx, curl, python3, a built tree. Ports 17080-17081 on 127.0.0.1.
set -euo pipefail
. bench/lib.sh
need nginx curl
[ -f cache-client/target/cache-client.jar ] || { echo "build first: mvn -B package -DskipTests" >&2; exit 2; }
jdk=/usr/lib/jvm/java-17-openjdk-amd64
master_port=17080
nginx_port=17081
work=$(mktemp -d "$PWD/$out_dir/pull.XXXXXX")
server_pid=""
nginx_pid=""
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null || true
  [ -n "$nginx_pid" ] && kill "$nginx_pid" 2>/dev/null && wait "$nginx_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
start_master "$work" "$master_port"
start_nginx "$work" "$work/store" "$nginx_port"
master="http://127.0.0.1:$master_port"
echo "write $token" >"$work/token"

publish() {  # publish ARGS...: prints the manifest digest
  deploy/bin/cache-client publish --master "$master" --key "$work/publisher.key" --token-file "$work/token" \
    --quiet "$@" | tail -1
}
python_ref=$(publish --trace --include /usr/lib/python3.11 -- /usr/bin/python3 -c 'import ssl, sqlite3')
jdk_ref=$(publish --include "$jdk" -- "$jdk/bin/java" -version)

# the reference: the same objects, 8 curl at once from nginx into files, then sync
reference() {  # reference DIGEST: milliseconds
  local dest="$work/ref-$1"
  mkdir -p "$dest"
  curl -sf "$master/v1/manifests/$1" | /usr/bin/python3 -c '
import json, sys
for f in sorted({v["digest"] for v in json.load(sys.stdin)["manifest"]["files"].values()}):
    print(f)' >"$work/objects-$1"
  sync
  local start
  start=$(date +%s.%N)
  sed "s|^sha256:\(.*\)$|-o $dest/\1 http://127.0.0.1:$nginx_port/v1/objects/sha256:\1|" "$work/objects-$1" |
    xargs -P 8 -L 1 curl -sf
  sync
  elapsed_ms "$start"
}

pull() {  # pull CACHE REF: milliseconds
  local start
  sync
  start=$(date +%s.%N)
  deploy/bin/cache-client pull --master "$master" --cache "$1" --trust "$work/publisher.pub" --parallel 8 \
    --json "$2" >"$work/pull.json"
  elapsed_ms "$start"
}

for name in python jdk; do
  ref=${name}_ref
  ref=${!ref}
  theirs=$(reference "$ref")
  files=$(wc -l <"$work/objects-$ref")
  ours=$(pull "$work/cache-$name" "$ref")
  warm=$(pull "$work/cache-$name" "$ref")
  bytes=$(du -sm "$work/ref-$ref" | cut -f1)
  row "cold pull $name ($files objects, $bytes MB)" "$ours" "$theirs" "8 x curl from nginx + sync"
  row "warm pull $name (all present)" "$warm" "$theirs" "same reference (cold)"
done

# client memory while pulling the JDK into an empty cache
deploy/bin/cache-client pull --master "$master" --cache "$work/cache-rss" --trust "$work/publisher.pub" \
  --parallel 8 --json "$jdk_ref" >/dev/null &
client=$!
sample_rss "$client" "$work/client-rss" &
sampler=$!
wait "$client"
wait "$sampler" 2>/dev/null || true
unit_row "client RSS, peak pulling the JDK" "$(awk '{print $1 / 1024}' "$work/client-rss")" 200 MiB "the goal, 200 MiB"
