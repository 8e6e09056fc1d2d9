#!/usr/bin/env bash
# The node kit on a busybox-only node against a node that has a full JDK, in one run:
#   size      the kit on the wire and its jlinked runtime, against the closure of the full JDK 17
#             the publishing host has (its home and libraries, published the same way)
#   bootstrap deploy/node/bootstrap into an empty node (busybox wget + sha256sum, no JVM) against
#             `cache-client pull` of the same kit closure on the full JDK (medians of 3); a second kit that
#             changed one file against the cold bootstrap
#   start     `cache-client ls` and a warm `exec-shim run` of python3 from the kit in the
#             busybox root against the same commands on the full JDK in a bwrap of the host root
#             (both through one bwrap, so only the runtime differs)
#   memory    peak RSS of a cold pull of the JDK closure, kit against full JDK
# Needs: busybox-static, bwrap, hyperfine, root (the busybox root is entered with bwrap keeping
# capabilities), a built tree. Port 17090 on 127.0.0.1.
set -euo pipefail
. bench/lib.sh
need hyperfine bwrap curl
[ -x /usr/bin/time ] || { echo "this benchmark needs GNU time (apt-get install -y time)" >&2; exit 2; }
[ -x /bin/busybox ] || { echo "this benchmark needs busybox-static (apt-get install -y busybox-static)" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "this benchmark enters a busybox root with bwrap as root" >&2; exit 2; }
[ -f exec-shim/target/exec-shim.jar ] || { echo "build first: mvn -B package -DskipTests" >&2; exit 2; }
jdk=/usr/lib/jvm/java-17-openjdk-amd64
port=17090
work=$(mktemp -d "$PWD/$out_dir/kit.XXXXXX")
server_pid=""
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
start_master "$work" "$port"
master="http://127.0.0.1:$port"
echo "write $token" >"$work/token"
deploy/bin/cache-client keygen --out "$work/second" >/dev/null
kit() {  # kit ARGS...: publishes a kit, prints its digest
  deploy/bin/cache-client kit publish --quiet --master "$master" --key "$work/publisher.key" \
    --token-file "$work/token" "$@" | tail -1
}
publish() {
  deploy/bin/cache-client publish --quiet --master "$master" --key "$work/publisher.key" \
    --token-file "$work/token" "$@" | tail -1
}
first=$(kit)
second=$(kit --node-trust "$work/publisher.pub,$work/second.pub")
python=$(publish --trace -- /usr/bin/python3 -c 'import ssl, json; print(json.dumps(ssl.OPENSSL_VERSION))' 2>/dev/null)
jdk_ref=$(publish --include "$jdk" -- "$jdk/bin/java" -version)

root=$work/node
mkdir -p "$root/bin" "$root/dev" "$root/proc" "$root/tmp" "$root/var/lib"
cp /bin/busybox "$root/bin/"
for a in $(/bin/busybox --list); do [ "$a" = busybox ] || ln -s busybox "$root/bin/$a"; done
cp deploy/node/bootstrap "$root/bootstrap"
# the busybox root, entered with bwrap keeping root's capabilities (as on a real node)
enter=(env -i PATH=/bin bwrap --bind "$root" / --dev /dev --proc /proc --bind "$root/tmp" /tmp --cap-add ALL --)
node() {  # node COMMAND...: runs COMMAND in the busybox root
  "${enter[@]}" "$@"
}
host() {  # host COMMAND...: the same bwrap over this host's root
  env -i PATH=/usr/bin:/bin bwrap --bind / / --dev /dev --proc /proc --cap-add ALL -- "$@"
}
seconds() {  # seconds COMMAND...: wall seconds of one run
  local start
  start=$(date +%s.%N)
  "$@" >/dev/null 2>&1 || { echo "failed: $*" >&2; exit 1; }
  awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN { printf "%.3f", e - s }'
}

# size: distinct objects' bytes of a manifest, and of its files under PREFIX
bytes() {  # bytes DIGEST PREFIX
  curl -sf "$master/v1/manifests/$1" | /usr/bin/python3 -c '
import json, sys
objs = {}
for p, f in json.load(sys.stdin)["manifest"]["files"].items():
    objs[f["digest"]] = (f["size"], p.startswith(sys.argv[1]))
print(sum(s for s, _ in objs.values()), sum(s for s, r in objs.values() if r))' "$2"
}
read -r wire runtime <<<"$(bytes "$first" /opt/closure-cache/runtime/)"
read -r jdk_wire _ <<<"$(bytes "$jdk_ref" /)"
jdk_mb=$(awk -v b="$jdk_wire" 'BEGIN { print b / 1e6 }')
unit_row "kit on the wire" "$(awk -v b="$wire" 'BEGIN { print b / 1e6 }')" "$jdk_mb" MB "the JDK 17 closure (its home + libraries)"
unit_row "kit runtime (jlink, 5 modules)" "$(awk -v b="$runtime" 'BEGIN { print b / 1e6 }')" "$jdk_mb" MB "the JDK 17 closure (its home + libraries)"

# bootstrap, cold and incremental, against a pull of the same closure on the full JDK; the cold
# ones are the median of three runs into an empty node
median3() {  # median3 A B C
  printf '%s\n' "$@" | sort -n | sed -n 2p
}
colds=() pulls=()
for _ in 1 2 3; do
  rm -rf "$root/var/lib/closure-cache" "$work/jdk-node"
  sync
  colds+=("$(seconds node sh /bootstrap --kit "$first" --master "$master")")
  sync
  pulls+=("$(seconds deploy/bin/cache-client pull --master "$master" --cache "$work/jdk-node" --trust "$work/publisher.pub" "$first")")
done
cold=$(median3 "${colds[@]}")
pull=$(median3 "${pulls[@]}")
unit_row "bootstrap, cold (busybox, no JVM)" "$cold" "$pull" s "cache-client pull of the kit, full JDK"
incremental=$(seconds node sh /bootstrap --kit "$second" --master "$master")
unit_row "bootstrap, new kit (1 file changed)" "$incremental" "$cold" s "the cold bootstrap"
node /var/lib/closure-cache/bin/cache-client warm --pin "$python" >/dev/null 2>&1

# start-up: the first runs made the class archives; both sides use theirs
host deploy/bin/cache-client ls --cache "$work/jdk-node" >/dev/null 2>&1 || true
host deploy/bin/exec-shim run --master "$master" --trust "$work/publisher.pub" --cache "$work/jdk-node" "$python" >/dev/null 2>&1
node /var/lib/closure-cache/bin/exec-shim run "$python" >/dev/null 2>&1
ours=$(mean_ms 20 "env -i PATH=/bin bwrap --bind $root / --dev /dev --proc /proc --bind $root/tmp /tmp --cap-add ALL -- /var/lib/closure-cache/bin/cache-client ls")
theirs=$(mean_ms 20 "env -i PATH=/usr/bin:/bin bwrap --bind / / --dev /dev --proc /proc --cap-add ALL -- $PWD/deploy/bin/cache-client ls --cache $work/jdk-node")
row "cache-client ls (start-up), kit" "$ours" "$theirs" "the same on the full JDK"
ours=$(mean_ms 20 "env -i PATH=/bin bwrap --bind $root / --dev /dev --proc /proc --bind $root/tmp /tmp --cap-add ALL -- /var/lib/closure-cache/bin/exec-shim run $python")
theirs=$(mean_ms 20 "env -i PATH=/usr/bin:/bin bwrap --bind / / --dev /dev --proc /proc --cap-add ALL -- $PWD/deploy/bin/exec-shim run --master $master --trust $work/publisher.pub --cache $work/jdk-node $python")
row "exec-shim run python (warm), kit" "$ours" "$theirs" "the same on the full JDK"

# memory: a cold pull of the JDK closure (~280 MB), second runs (class archives made)
rss() {  # rss COMMAND...: peak RSS in MiB of COMMAND and its children
  { /usr/bin/time -f %M "$@" 2>&1 >/dev/null || echo "failed: $*" >&2; } | tail -1 | awk '{ printf "%.1f", $1 / 1024 }'
}
node /var/lib/closure-cache/bin/cache-client pull --cache /tmp/warmup "$python" >/dev/null 2>&1
rm -rf "$root/tmp/rss"
ours=$(rss "${enter[@]}" /var/lib/closure-cache/bin/cache-client pull --cache /tmp/rss "$jdk_ref")
theirs=$(rss deploy/bin/cache-client pull --master "$master" --trust "$work/publisher.pub" --cache "$work/rss" "$jdk_ref")
unit_row "peak RSS, cold pull of the JDK closure, kit" "$ours" "$theirs" MiB "the same on the full JDK"
