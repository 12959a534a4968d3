#!/usr/bin/env bash
# The whole test suite: host tests (core and server), the browser suites in headless Chrome,
# Firefox and WebKit against the local server, and the end-to-end tests.
# Installs what it needs first (scripts/setup.sh).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

ensure_setup

log "host tests: core and local server (cargo test)"
# Not the example app (examples/visitor-app, a workspace member so that it shares Cargo.lock and
# with it the wasm-bindgen that the CLI matches): it is a browser app, and the crate's Rust API
# exists only on wasm32, so on the host it has nothing to build or test. build_example below
# builds it for the browser; tests/e2e/rust-app.test.mjs and quickstart.test.mjs run it.
cargo test --workspace --exclude giosg-visitor-example

# A Rust app on the crate (default features off) with the lowest wasm-bindgen the crate supports
# and the newest: it builds, and nothing of the SDK is among its JS exports.
bash scripts/rust-app.sh
# The Rust API's doc examples, compiled for the target they run on.
log "doc examples of the Rust API (cargo test --doc --target wasm32-unknown-unknown)"
cargo test --doc --target wasm32-unknown-unknown

build_package
start_server
log "local server at $SERVER_URL"

# The browser suites run the release profile, the one scripts/package.sh ships, with the JS class
# (feature `js`) the package is built with; tests/rust_api.rs drives the Rust API in the same
# build. The give-up test waits about 30 s: the runner's default limit (20 s) is too short.
export WASM_BINDGEN_TEST_TIMEOUT=300
for browser in chrome firefox; do
  log "browser suites in headless $browser (wasm-pack test)"
  GIOSG_LOCAL_SERVER=$SERVER_URL wasm-pack test --release --headless "--$browser" -- --features js
done
# WebKit, the engine of Safari: Debian's WebKitGTK through its WebDriver (WebKitWebDriver, which
# starts MiniBrowser), driven by wasm-bindgen's test runner through its Safari path (the same
# `cargo test` that wasm-pack runs, with the runner named; wasm-pack offers Safari on macOS only).
# MiniBrowser needs a display: xvfb-run gives it one. WebKit has no garbage-collection hook a page
# can call (Chromium's gc() and Firefox's TestUtils.gc() are switched on in webdriver.json):
# JSC_slowPathAllocsBetweenGCs, which the browser's processes inherit, makes every 1000th refill
# of an allocator a full collection, and tests/page.rs, built in this same environment, reads it
# to allocate enough for one (see its garbage-collection tests).
log "browser suites in WebKit (WebKitWebDriver under Xvfb)"
GIOSG_LOCAL_SERVER=$SERVER_URL SAFARIDRIVER=$(command -v WebKitWebDriver) JSC_slowPathAllocsBetweenGCs=1000 \
  CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner \
  xvfb-run -a cargo test --release --target wasm32-unknown-unknown --features js \
  --test browser --test faults --test page --test tabs --test rust_api --test chaos --test realtime

# The example app in Rust and the README's Rust quick start, for the end-to-end tests.
build_example

# The end-to-end tests run against the demo command itself, as a user starts it.
log "end-to-end tests against scripts/demo.sh (node --test: Chromium through Playwright, Firefox through geckodriver, WebKit through WebKitWebDriver)"
demo_out=$(mktemp)
PORT=0 bash scripts/demo.sh >"$demo_out" 2>&1 &
DEMO_PID=$!
trap 'kill "$DEMO_PID" 2>/dev/null || true; kill "$SERVER_PID" 2>/dev/null || true' EXIT
DEMO_URL=
for _ in $(seq 1 600); do
  DEMO_URL=$(grep -o '^http://[^ ]*/$' "$demo_out" | head -n 1 || true)
  [ -n "$DEMO_URL" ] && break
  kill -0 "$DEMO_PID" 2>/dev/null || { cat "$demo_out" >&2; exit 1; }
  sleep 0.2
done
[ -n "$DEMO_URL" ] || { echo "scripts/demo.sh printed no URL:" >&2; cat "$demo_out" >&2; exit 1; }
SERVER_URL=${DEMO_URL%/} node --test --test-concurrency=1 tests/e2e/
