#!/usr/bin/env bash
# The whole test suite: host tests (core and server), the browser suite in headless Chrome and
# Firefox against the local server, and the end-to-end tests of the demo page with Playwright.
# Installs what it needs first (scripts/setup.sh).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

bash scripts/setup.sh

log "host tests: core and local server (cargo test)"
cargo test --workspace

build_package
start_server
log "local server at $SERVER_URL"

for browser in chrome firefox; do
  log "browser suite in headless $browser (wasm-pack test)"
  GIOSG_LOCAL_SERVER=$SERVER_URL wasm-pack test --headless "--$browser"
done

log "end-to-end tests (node --test, Playwright driving Chromium)"
node --test --test-concurrency=1 tests/e2e/
