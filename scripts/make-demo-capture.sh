#!/usr/bin/env bash
# Captures real HTTP, DNS and Redis traffic on loopback into samples/demo.pcapng (Ethernet link
# type, as Linux writes loopback) and samples/demo-any.pcapng (the same traffic seen on the "any"
# pseudo-interface twice: once as Linux cooked v1 and once as v2, two interfaces in one file).
# Writes samples/demo.expected.json with the counts the clients themselves reported.
#
# Needs root (dumpcap), nginx, dnsmasq, dig, curl, redis-cli (and redis-server if nothing listens
# on 127.0.0.1:6379). Idempotent: every run replaces the three files; servers it starts are
# stopped on exit, whatever happens. KEEP_WORK=1 keeps the temporary directory for debugging.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT_DIR="$ROOT/samples"
HTTP_PORT=18080
DNS_PORT=15353
REDIS_PORT=6379
REDIS_KEY_PREFIX="flowscope:demo"

for tool in dumpcap nginx dnsmasq dig curl redis-cli tshark; do
  command -v "$tool" >/dev/null || { echo "make-demo-capture: missing '$tool' (apt-get install the package providing it)" >&2; exit 1; }
done

WORK="$(mktemp -d /tmp/flowscope-demo.XXXXXX)"
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  if [ -n "${KEEP_WORK:-}" ]; then echo "kept $WORK" >&2; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

wait_for() { # wait_for <description> <command...>: poll up to 5 s
  local what="$1"; shift
  for _ in $(seq 1 50); do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done
  echo "make-demo-capture: $what did not come up" >&2
  exit 1
}

# --- servers ---------------------------------------------------------------------------------
mkdir -p "$WORK/nginx"
cat >"$WORK/nginx/nginx.conf" <<EOF
daemon off;
worker_processes 1;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/error.log;
events { worker_connections 64; }
http {
  access_log off;
  client_body_temp_path $WORK/nginx/body;
  proxy_temp_path $WORK/nginx/proxy;
  fastcgi_temp_path $WORK/nginx/fastcgi;
  uwsgi_temp_path $WORK/nginx/uwsgi;
  scgi_temp_path $WORK/nginx/scgi;
  server {
    listen 127.0.0.1:$HTTP_PORT;
    default_type text/plain;
    location = /          { return 200 "hello from flowscope demo\n"; }
    location = /api/users { default_type application/json; return 200 '[{"id":1,"name":"ada"},{"id":2,"name":"linus"}]'; }
    location = /api/orders {
      if (\$request_method = POST) { return 201 '{"created":true}'; }
      return 405;
    }
    location / { return 404; }
  }
}
EOF
nginx -c "$WORK/nginx/nginx.conf" -p "$WORK/nginx" &
PIDS+=($!)
wait_for "nginx on 127.0.0.1:$HTTP_PORT" curl -s -o /dev/null "http://127.0.0.1:$HTTP_PORT/"

dnsmasq --keep-in-foreground --conf-file=/dev/null --port="$DNS_PORT" --listen-address=127.0.0.1 \
  --bind-interfaces --no-resolv --no-hosts --pid-file="$WORK/dnsmasq.pid" \
  --local=/demo.local/ \
  --address=/api.demo.local/10.0.0.10 \
  --host-record=db.demo.local,10.0.0.20 \
  --host-record=cache.demo.local,10.0.0.30,fd00::30 &
PIDS+=($!)
wait_for "dnsmasq on 127.0.0.1:$DNS_PORT" dig +time=1 +tries=1 @127.0.0.1 -p "$DNS_PORT" db.demo.local

if ! redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping >/dev/null 2>&1; then
  REDIS_PORT=16379
  redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --save '' --appendonly no --dir "$WORK" &
  PIDS+=($!)
  wait_for "redis-server on 127.0.0.1:$REDIS_PORT" redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping
fi

# --- one attempt: capture while generating traffic ---------------------------------------------
# Other programs on this host may talk to the same ports while we capture (the shared Redis, a
# colleague's curl): an attempt whose capture does not match the clients' own counts is retried.
FILTER="tcp port $HTTP_PORT or port $DNS_PORT or tcp port $REDIS_PORT"
CURL=(curl -s -w '%{http_code} %{num_connects}\n')
BASE="http://127.0.0.1:$HTTP_PORT"
TRACEPARENT="00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
REQUEST_ID="demo-req-0001"

record_curl() { # reads "status connects" lines from curl -w
  while read -r status connects; do
    HTTP_REQUESTS=$((HTTP_REQUESTS + 1))
    HTTP_STATUS[$status]=$(( ${HTTP_STATUS[$status]:-0} + 1 ))
    HTTP_CONNECTIONS=$((HTTP_CONNECTIONS + connects))
  done
}

dns_query() { # dns_query <transport> <dig args...>
  local transport="$1"; shift
  local rcode
  rcode=$(dig +time=2 +tries=1 @127.0.0.1 -p "$DNS_PORT" "$@" | sed -n 's/.*status: \([A-Z]*\),.*/\1/p')
  [ -n "$rcode" ] || { echo "make-demo-capture: dig $* got no answer" >&2; exit 1; }
  DNS_RCODE[$rcode]=$(( ${DNS_RCODE[$rcode]:-0} + 1 ))
  if [ "$transport" = tcp ]; then DNS_TCP=$((DNS_TCP + 1)); else DNS_UDP=$((DNS_UDP + 1)); fi
}

redis_cmd() { # one connection, one command; an error reply counts as an error
  local reply
  reply=$(redis-cli -h 127.0.0.1 -p "$REDIS_PORT" "$@" 2>&1)
  REDIS_COMMANDS=$((REDIS_COMMANDS + 1))
  REDIS_CONNECTIONS=$((REDIS_CONNECTIONS + 1))
  case "$reply" in ERR*|WRONGTYPE*|"(error)"*) REDIS_ERRORS=$((REDIS_ERRORS + 1));; esac
}

resp() { local a; printf '*%d\r\n' "$#"; for a in "$@"; do printf '$%d\r\n%s\r\n' "${#a}" "$a"; done; }

capture_once() {
  HTTP_STATUS=(); HTTP_REQUESTS=0; HTTP_CONNECTIONS=0
  DNS_RCODE=(); DNS_UDP=0; DNS_TCP=0
  REDIS_COMMANDS=0; REDIS_ERRORS=0; REDIS_CONNECTIONS=0
  rm -f "$WORK"/demo.pcapng "$WORK"/demo-any.pcapng "$WORK"/dumpcap-*.log

  dumpcap -q -i lo -f "$FILTER" -w "$WORK/demo.pcapng" 2>"$WORK/dumpcap-lo.log" &
  local dumpcap_lo=$!
  PIDS+=($dumpcap_lo)
  dumpcap -q -i any -y LINUX_SLL -f "$FILTER" -i any -y LINUX_SLL2 -f "$FILTER" -w "$WORK/demo-any.pcapng" \
    2>"$WORK/dumpcap-any.log" &
  local dumpcap_any=$!
  PIDS+=($dumpcap_any)
  wait_for "dumpcap on lo" grep -q "Capturing on" "$WORK/dumpcap-lo.log"
  wait_for "dumpcap on any" grep -q "Capturing on" "$WORK/dumpcap-any.log"
  sleep 0.3

  # HTTP: three requests on one keep-alive connection; one with trace headers on a connection the
  # client closes; a POST; a 404.
  record_curl < <("${CURL[@]}" -o /dev/null "$BASE/" -o /dev/null "$BASE/api/users" -o /dev/null "$BASE/api/users?page=2")
  record_curl < <("${CURL[@]}" -o /dev/null -H "traceparent: $TRACEPARENT" -H "X-Request-ID: $REQUEST_ID" \
    -H 'Connection: close' "$BASE/api/users")
  record_curl < <("${CURL[@]}" -o /dev/null -X POST -H 'Content-Type: application/json' --data '{"item":"book","qty":2}' "$BASE/api/orders")
  record_curl < <("${CURL[@]}" -o /dev/null "$BASE/no/such/page")

  # DNS: four over UDP (one NXDOMAIN), one over TCP.
  dns_query udp api.demo.local A
  dns_query udp db.demo.local A
  dns_query udp cache.demo.local AAAA
  dns_query udp missing.demo.local A
  dns_query tcp +tcp db.demo.local A

  # Redis: one command per connection (one error: INCR on a string), then a pipelined batch in raw
  # RESP. redis-cli --pipe appends one ECHO of its own to find the last reply and reports the
  # replies to our commands only, so the ECHO is added to the count here.
  redis_cmd SET "$REDIS_KEY_PREFIX:user:1" ada
  redis_cmd GET "$REDIS_KEY_PREFIX:user:1"
  redis_cmd INCR "$REDIS_KEY_PREFIX:user:1"
  local report replies errors
  report=$( { resp SET "$REDIS_KEY_PREFIX:counter" 10; resp INCR "$REDIS_KEY_PREFIX:counter";
    resp INCRBY "$REDIS_KEY_PREFIX:counter" 5; resp GET "$REDIS_KEY_PREFIX:counter";
    resp DEL "$REDIS_KEY_PREFIX:counter" "$REDIS_KEY_PREFIX:user:1"; } \
    | redis-cli -h 127.0.0.1 -p "$REDIS_PORT" --pipe 2>&1)
  replies=$(sed -n 's/.*replies: \([0-9]*\).*/\1/p' <<<"$report")
  errors=$(sed -n 's/.*errors: \([0-9]*\),.*/\1/p' <<<"$report")
  [ -n "$replies" ] || { echo "make-demo-capture: redis-cli --pipe said: $report" >&2; exit 1; }
  REDIS_COMMANDS=$((REDIS_COMMANDS + replies + 1))
  REDIS_ERRORS=$((REDIS_ERRORS + errors))
  REDIS_CONNECTIONS=$((REDIS_CONNECTIONS + 1))

  sleep 0.5
  kill -INT "$dumpcap_lo" "$dumpcap_any"
  wait "$dumpcap_lo" "$dumpcap_any" 2>/dev/null || true

  local syn='tcp.flags.syn==1 && tcp.flags.ack==0'
  local seen_http seen_redis seen_dns
  seen_http=$(tshark -r "$WORK/demo.pcapng" -Y "$syn && tcp.dstport==$HTTP_PORT" 2>/dev/null | wc -l)
  seen_redis=$(tshark -r "$WORK/demo.pcapng" -Y "$syn && tcp.dstport==$REDIS_PORT" 2>/dev/null | wc -l)
  seen_dns=$(tshark -r "$WORK/demo.pcapng" -d "tcp.port==$DNS_PORT,dns" -d "udp.port==$DNS_PORT,dns" \
    -Y "dns.flags.response==0" 2>/dev/null | wc -l)
  if [ "$seen_http" -ne "$HTTP_CONNECTIONS" ] || [ "$seen_redis" -ne "$REDIS_CONNECTIONS" ] \
    || [ "$seen_dns" -ne $((DNS_UDP + DNS_TCP)) ]; then
    echo "make-demo-capture: capture does not match the clients (http conns $seen_http/$HTTP_CONNECTIONS," \
      "redis conns $seen_redis/$REDIS_CONNECTIONS, dns queries $seen_dns/$((DNS_UDP + DNS_TCP))): other traffic on these ports?" >&2
    return 1
  fi
}

declare -A HTTP_STATUS=() DNS_RCODE=()
ATTEMPT=1
until capture_once; do
  ATTEMPT=$((ATTEMPT + 1))
  if [ "$ATTEMPT" -gt 5 ]; then echo "make-demo-capture: giving up after 5 attempts" >&2; exit 1; fi
  echo "make-demo-capture: retrying (attempt $ATTEMPT)" >&2
  sleep 1
done

json_map() { # json_map <assoc-array-name>: {"k": v, ...} sorted by key
  local -n map="$1"
  local first=1 k
  printf '{'
  for k in $(printf '%s\n' "${!map[@]}" | sort); do
    [ $first -eq 1 ] || printf ', '
    printf '"%s": %d' "$k" "${map[$k]}"
    first=0
  done
  printf '}'
}

mkdir -p "$OUT_DIR"
install -m 0644 "$WORK/demo.pcapng" "$OUT_DIR/demo.pcapng"
install -m 0644 "$WORK/demo-any.pcapng" "$OUT_DIR/demo-any.pcapng"
cat >"$OUT_DIR/demo.expected.json" <<EOF
{
  "comment": "Counts reported by the clients (curl -w, dig status, redis-cli) while scripts/make-demo-capture.sh captured samples/demo.pcapng.",
  "http": {
    "server": "127.0.0.1:$HTTP_PORT",
    "requests": $HTTP_REQUESTS,
    "connections": $HTTP_CONNECTIONS,
    "statuses": $(json_map HTTP_STATUS),
    "traceparent": "$TRACEPARENT",
    "x_request_id": "$REQUEST_ID"
  },
  "dns": {
    "server": "127.0.0.1:$DNS_PORT",
    "queries": $((DNS_UDP + DNS_TCP)),
    "udp_queries": $DNS_UDP,
    "tcp_queries": $DNS_TCP,
    "rcodes": $(json_map DNS_RCODE)
  },
  "redis": {
    "server": "127.0.0.1:$REDIS_PORT",
    "commands": $REDIS_COMMANDS,
    "errors": $REDIS_ERRORS,
    "connections": $REDIS_CONNECTIONS
  }
}
EOF

echo "http:  $HTTP_REQUESTS requests on $HTTP_CONNECTIONS connections, statuses $(json_map HTTP_STATUS)"
echo "dns:   $((DNS_UDP + DNS_TCP)) queries ($DNS_UDP udp, $DNS_TCP tcp), rcodes $(json_map DNS_RCODE)"
echo "redis: $REDIS_COMMANDS commands ($REDIS_ERRORS errors) on $REDIS_CONNECTIONS connections (port $REDIS_PORT)"
for f in demo.pcapng demo-any.pcapng; do
  echo "wrote samples/$f: $(capinfos -c -M "$OUT_DIR/$f" | sed -n 's/^Number of packets: *//p') packets, $(stat -c %s "$OUT_DIR/$f") bytes"
done
echo "wrote samples/demo.expected.json"
