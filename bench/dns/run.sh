#!/usr/bin/env bash
# `npm run bench:dns`: flotilla's DNS server (the built `flotilla dns serve`) against dnsmasq, in
# the same run, with the same records and query mix, interleaved (dnsmasq, flotilla, dnsmasq, …)
# so machine noise hits both. Prints qps and p50/p99 as ratios to dnsmasq, lost queries, and the
# server's RSS while serving 10 000 instances. Loopback only; every server stopped by PID.
# Reuses the research harness by path (../shared/bench/dns: bench.sh, start-dnsmasq.sh).
# Env: RUNS (2), SECS (10), PACED (5000 qps), HARNESS (the shared harness directory).
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
HARNESS="${HARNESS:-$ROOT/../shared/bench/dns}"
RUNS="${RUNS:-2}"; SECS="${SECS:-10}"; PACED="${PACED:-5000}"
for tool in dnsperf dnsmasq dig; do command -v "$tool" >/dev/null || { echo "bench:dns needs $tool (apt-get install dnsperf dnsmasq-base dnsutils)" >&2; exit 2; }; done
[ -f "$ROOT/dist/commands/dns/serve.js" ] || { echo "build first: npm run build" >&2; exit 2; }
WORK="$(mktemp -d /tmp/flotilla-bench-dns.XXXXXX)"
export RESULTS="$WORK/results"
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$WORK"; }
trap cleanup EXIT

free_port() { node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"; }
wait_ready() { # port name
  for _ in $(seq 1 100); do
    dig @127.0.0.1 -p "$1" +time=1 +tries=1 "$2" AAAA 2>/dev/null | grep -q 'status: NOERROR' && return 0
    sleep 0.1
  done
  echo "server on port $1 did not answer" >&2; exit 3
}
serve() { # registry-file port -> pid (flotilla dns serve in the background)
  node "$ROOT/bin/run.js" dns serve --registry "$1" --port "$2" --bind 127.0.0.1 >"$WORK/serve-$2.log" 2>&1 &
  echo $!
}

node "$HERE/registry.mjs" same "$WORK/same.json"
DNSMASQ_PORT="$(free_port)"; OURS_PORT="$(free_port)"
DNSMASQ_PID="$("$HARNESS/start-dnsmasq.sh" "$DNSMASQ_PORT" "$HERE/records.json")"; PIDS+=("$DNSMASQ_PID")
OURS_PID="$(serve "$WORK/same.json" "$OURS_PORT")"; PIDS+=("$OURS_PID")
wait_ready "$DNSMASQ_PORT" web.internal; wait_ready "$OURS_PORT" web.internal

echo "# node $(node --version), $(dnsperf -h 2>&1 | awk '/^Version/{print "dnsperf "$2}'), $(dnsmasq --version | head -1 | cut -d' ' -f1-3), $(nproc) cores; runs=$RUNS x ${SECS}s, paced $PACED qps"
export QUERIES="$HERE/queries.txt"
: >"$WORK/runs.jsonl"
for mode in max paced; do
  for run in $(seq 1 "$RUNS"); do
    "$HARNESS/bench.sh" dnsmasq "$DNSMASQ_PORT" "$DNSMASQ_PID" "$mode" "$run" "$SECS" "$PACED" >>"$WORK/runs.jsonl"; sleep 1
    "$HARNESS/bench.sh" flotilla "$OURS_PORT" "$OURS_PID" "$mode" "$run" "$SECS" "$PACED" >>"$WORK/runs.jsonl"; sleep 1
  done
done
kill "$OURS_PID" "$DNSMASQ_PID"

# RSS after a loaded run: 10 000 instances (500 apps x 20, queries over all their names), and the
# same process with the 4-name zone (the floor of Node + the CLI), so the report separates them.
node "$HERE/registry.mjs" big 500 20 "$WORK/big.json" "$WORK/big-queries.txt"
rss_after_load() { # label registry queries first-name -> "RSS_KB HWM_KB"
  local port pid
  port="$(free_port)"; pid="$(serve "$2" "$port")"; PIDS+=("$pid")
  wait_ready "$port" "$4"
  QUERIES="$3" "$HARNESS/bench.sh" "$1" "$port" "$pid" max 1 "$SECS" "$PACED" >>"$WORK/runs.jsonl"
  echo "$(awk '/^VmRSS/{print $2}' "/proc/$pid/status") $(awk '/^VmHWM/{print $2}' "/proc/$pid/status")"
  kill "$pid"
}
BIG="$(rss_after_load flotilla-10k "$WORK/big.json" "$WORK/big-queries.txt" app-0.internal)"
SMALL="$(rss_after_load flotilla-4 "$WORK/same.json" "$HERE/queries.txt" web.internal)"
node "$HERE/report.mjs" "$WORK/runs.jsonl" $BIG $SMALL
