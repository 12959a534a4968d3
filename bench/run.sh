#!/usr/bin/env bash
# The benchmarks: builds the package, starts two local servers (www/ and bench/page/), prints the
# table. BENCH_LOADS=50 for more start-up samples.
set -euo pipefail
source "$(dirname "$0")/../scripts/lib.sh"
bash "$ROOT/scripts/setup.sh" >&2
build_package
start_server
DEMO_URL=$SERVER_URL
DEMO_PID=$SERVER_PID
"$ROOT/target/release/giosg-local-server" --port 0 --www "$ROOT/bench/page" --pkg "$ROOT/pkg" > "$ROOT/target/bench-server.out" 2>&1 &
BENCH_PID=$!
trap 'kill "$DEMO_PID" "$BENCH_PID" 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
  BENCH_URL=$(sed -n 's|^giosg local server: \(http://[^ ]*\)/$|\1|p' "$ROOT/target/bench-server.out")
  [ -n "$BENCH_URL" ] && break
  sleep 0.1
done
log "benchmarking (about two minutes)"
DEMO_URL=$DEMO_URL BENCH_URL=$BENCH_URL node "$ROOT/bench/run.mjs"
