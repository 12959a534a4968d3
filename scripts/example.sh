#!/usr/bin/env bash
# Builds the example app (examples/visitor-app) and the harness of the README's Rust quick start
# into target/example-www/ (see build_example in lib.sh). Then, to look at it:
#   cargo run --release -p giosg-local-server -- --port 8080 --www target/example-www
# and open http://127.0.0.1:8080/?room=<a room id> (make one with POST /__control/orgs/<org>/rooms).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
# The wasm32 target and the wasm-bindgen CLI: scripts/setup.sh (without the browsers).
ensure_setup --no-browsers
build_example
echo "$EXAMPLE_WWW"
