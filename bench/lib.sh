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

# start_nginx WORK STORE PORT: nginx serving STORE's object files under the master's URL scheme
# (/v1/objects/sha256:<hex>), with sendfile, as a reference server. Sets nginx_pid.
start_nginx() {
  local work=$1 store=$2 port=$3
  cat >"$work/nginx.conf" <<NGINX
user root;
worker_processes auto;
pid $work/nginx.pid;
error_log $work/nginx-error.log;
events { worker_connections 4096; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  keepalive_requests 100000000;
  client_body_temp_path $work/nginx-body;
  proxy_temp_path $work/nginx-proxy;
  fastcgi_temp_path $work/nginx-fastcgi;
  uwsgi_temp_path $work/nginx-uwsgi;
  scgi_temp_path $work/nginx-scgi;
  server {
    listen 127.0.0.1:$port;
    location ~ "^/v1/objects/sha256:([0-9a-f]{2})([0-9a-f]{62})\$" {
      alias $store/objects/\$1/\$1\$2;
      default_type application/octet-stream;
      etag off;
      add_header Cache-Control "public, max-age=31536000, immutable";
    }
  }
}
NGINX
  nginx -c "$work/nginx.conf" -g 'daemon off;' &
  nginx_pid=$!
}

# start_master WORK PORT: cache-server on 127.0.0.1:PORT over WORK/store with a write token in
# $token and WORK/publisher.{key,pub}; waits until it answers. Sets server_pid and token.
start_master() {
  local work=$1 port=$2
  token=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
  echo "write $token" >"$work/tokens"
  [ -f "$work/publisher.key" ] || deploy/bin/cache-client keygen --out "$work/publisher" >/dev/null
  deploy/bin/cache-server serve --store "$work/store" --listen "127.0.0.1:$port" \
    --tokens-file "$work/tokens" --publisher-key "$work/publisher.pub" 2>"$work/server.log" &
  server_pid=$!
  for _ in $(seq 100); do
    curl -sf "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  cat "$work/server.log" >&2
  exit 1
}

# elapsed_ms START: milliseconds since START (a `date +%s.%N` reading).
elapsed_ms() {
  awk -v s="$1" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", (e - s) * 1000 }'
}

# sample_rss PID FILE: until PID exits, keeps PID's peak VmRSS (KiB) in FILE. Run it in the background.
sample_rss() {
  local pid=$1 file=$2 peak=0 r
  echo 0 >"$file"
  while kill -0 "$pid" 2>/dev/null; do
    r=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status" 2>/dev/null || echo 0)
    if [ "${r:-0}" -gt "$peak" ]; then
      peak=$r
      echo "$peak" >"$file"
    fi
    sleep 0.1
  done
}
