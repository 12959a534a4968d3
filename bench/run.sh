#!/usr/bin/env bash
# The benchmarks: builds the package, starts two local servers (www/ and bench/page/), prints the
# table. BENCH_LOADS=50 for more start-up samples.
set -euo pipefail
source "$(dirname "$0")/../scripts/lib.sh"
ensure_setup
build_package
if [[ ",${BENCH_ONLY:-startup}," == *,startup,* ]]; then
  # The stack's own floor for the start-up table: bench/empty-module (a crate of its own, outside
  # the workspace), built with the SDK's release profile, through the wasm-bindgen CLI's web
  # target into bench/page/empty-module/, which the bench's server serves.
  log "building the empty wasm-bindgen module (bench/empty-module)"
  cargo build --quiet --release --target wasm32-unknown-unknown --manifest-path "$ROOT/bench/empty-module/Cargo.toml" \
    --target-dir "$ROOT/target/bench-empty-module"
  wasm-bindgen --target web --out-dir "$ROOT/bench/page/empty-module" \
    "$ROOT/target/bench-empty-module/wasm32-unknown-unknown/release/empty_module.wasm"
fi
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
log "benchmarking (about ten minutes)"
DEMO_URL=$DEMO_URL BENCH_URL=$BENCH_URL node "$ROOT/bench/run.mjs"
