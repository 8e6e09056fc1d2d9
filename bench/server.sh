#!/usr/bin/env bash
# The master's object store over HTTP against nginx serving the very same object files from the
# same disk, in one run:
#   GET 1 MiB objects, keep-alive, 8 connections (wrk): throughput; goal >= 1.0x nginx
#   GET 4 KiB objects, 64 connections (wrk): requests/s; goal >= 0.8x nginx
#   PUT 1 MiB objects (4 parallel curl uploads): time against writing + fsyncing the same bytes
#     (dd conv=fsync, 4 in parallel), the store's own write limit
#   server RSS during the runs (max of /proc samples); goal <= 256 MiB
# Needs: wrk, nginx, curl, a built cache-server jar. Ports 17070-17071 on 127.0.0.1.
set -euo pipefail
. bench/lib.sh
need wrk nginx curl sha256sum
[ -f cache-server/target/cache-server.jar ] || { echo "build first: mvn -B package -DskipTests" >&2; exit 2; }

duration=${BENCH_SECONDS:-10}
warmup=${BENCH_WARMUP_SECONDS:-5}
ours_port=17070
nginx_port=17071
work=$(mktemp -d "$PWD/$out_dir/server.XXXXXX")
server_pid=""
nginx_pid=""
sampler_pid=""
cleanup() {
  [ -n "$sampler_pid" ] && kill "$sampler_pid" 2>/dev/null || true
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null || true
  [ -n "$nginx_pid" ] && kill "$nginx_pid" 2>/dev/null && wait "$nginx_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT



start_master "$work" "$ours_port"

# Objects: 64 x 1 MiB and 2,000 x 4 KiB of random bytes, uploaded through the API.
mkdir -p "$work/src/1m" "$work/src/4k" "$work/put"
for i in $(seq 64); do head -c 1048576 /dev/urandom >"$work/src/1m/$i"; done
for i in $(seq 2000); do head -c 4096 /dev/urandom >"$work/src/4k/$i"; done
for i in $(seq 64); do head -c 1048576 /dev/urandom >"$work/put/$i"; done
upload() {  # upload DIR: PUT every file of DIR, 4 at a time; prints their URL paths
  (cd "$1" && sha256sum -- *) | awk '{print $1, $2}' >"$1.sums"
  awk -v d="$1" -v u="http://127.0.0.1:$ours_port" -v t="$token" \
    '{ printf "-X PUT -H \"Authorization: Bearer %s\" --data-binary @%s/%s %s/v1/objects/sha256:%s -o /dev/null\n", t, d, $2, u, $1 }' \
    "$1.sums" | xargs -P 4 -L 1 curl -sf
  awk '{ print "/v1/objects/sha256:" $1 }' "$1.sums"
}
upload "$work/src/1m" >"$work/paths-1m.txt"
upload "$work/src/4k" >"$work/paths-4k.txt"

start_nginx "$work" "$work/store" "$nginx_port"
for _ in $(seq 50); do curl -sf -o /dev/null "http://127.0.0.1:$nginx_port$(head -1 "$work/paths-1m.txt")" && break; sleep 0.1; done

cat >"$work/urls.lua" <<'LUA'
local paths = {}
local i = 0
function init(args)
  for line in io.lines(args[1]) do paths[#paths + 1] = line end
  i = math.random(#paths)
end
function request()
  i = i % #paths + 1
  return wrk.format("GET", paths[i])
end
LUA

sample_rss "$server_pid" "$work/rss-peak" &
sampler_pid=$!

# wrk_rate PORT CONNS PATHS FIELD: requests/s or MB/s (wrk's Transfer/sec, normalised to MB),
# after an unmeasured warm-up run of the same load (the JVM compiles its hot paths in it).
wrk_rate() {
  wrk -t2 -c"$2" -d"${warmup}s" -s "$work/urls.lua" "http://127.0.0.1:$1/" "$3" >/dev/null 2>&1
  wrk -t2 -c"$2" -d"${duration}s" -s "$work/urls.lua" "http://127.0.0.1:$1/" "$3" >"$work/wrk.txt" 2>&1
  if grep -q "Non-2xx" "$work/wrk.txt"; then echo "wrk saw errors on port $1:" >&2; cat "$work/wrk.txt" >&2; exit 1; fi
  if [ "$4" = req ]; then
    awk '/Requests\/sec/ {print $2}' "$work/wrk.txt"
  else
    awk '/Transfer\/sec/ { v = $2; u = substr(v, length(v) - 1); n = v + 0;
      if (u == "GB") n *= 1024; else if (u == "KB") n /= 1024; print n }' "$work/wrk.txt"
  fi
}
ours_1m=$(wrk_rate $ours_port 8 "$work/paths-1m.txt" mb)
nginx_1m=$(wrk_rate $nginx_port 8 "$work/paths-1m.txt" mb)
ours_4k=$(wrk_rate $ours_port 64 "$work/paths-4k.txt" req)
nginx_4k=$(wrk_rate $nginx_port 64 "$work/paths-4k.txt" req)
unit_row "GET 1 MiB, 8 conns (MB/s)" "$ours_1m" "$nginx_1m" MB/s "nginx, same files (goal >= 1.0x)"
unit_row "GET 4 KiB, 64 conns (req/s)" "$ours_4k" "$nginx_4k" r/s "nginx, same files (goal >= 0.8x)"

# Uploads: 64 fresh 1 MiB objects through the API, against dd writing and fsyncing the same bytes.
# (A first set of 16 warms the upload path up, unmeasured.)
mkdir -p "$work/put-warm"
for i in $(seq 16); do head -c 1048576 /dev/urandom >"$work/put-warm/$i"; done
upload "$work/put-warm" >/dev/null
start=$(date +%s.%N)
upload "$work/put" >/dev/null
ours_put=$(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN {print (e - s) * 1000}')
mkdir -p "$work/ref"
start=$(date +%s.%N)
ls "$work/put" | xargs -P 4 -I{} dd if="$work/put/{}" of="$work/ref/{}" bs=1M conv=fsync status=none
ref_put=$(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN {print (e - s) * 1000}')
row "PUT 64 x 1 MiB, 4 parallel (ms)" "$ours_put" "$ref_put" "dd conv=fsync of the same bytes"

kill "$sampler_pid" 2>/dev/null || true
sampler_pid=""
rss_mib=$(awk '{print $1 / 1024}' "$work/rss-peak")
unit_row "server RSS, peak during the runs" "$rss_mib" 256 MiB "the goal, 256 MiB"
