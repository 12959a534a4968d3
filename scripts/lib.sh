# Shared by scripts/demo.sh and scripts/test.sh: paths, and starting the local server.
# shellcheck shell=bash

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export PATH="$ROOT/node_modules/.bin:$HOME/.cargo/bin:$PATH"

log() { printf '\n==> %s\n' "$*" >&2; }

# ensure_setup [--no-browsers]: runs scripts/setup.sh (idempotent: a few seconds when all is
# installed) once per command, so that every documented command works on a fresh clone and none
# of them ever falls back to a tool's own download (wasm-pack fetches wasm-opt or wasm-bindgen from
# GitHub when they are not on PATH). A command that runs another (demo.sh runs package.sh) sets it
# up once: GIOSG_SETUP says what the outer one installed.
ensure_setup() {
  local want=${1:-all}
  case "${GIOSG_SETUP:-}" in
    all) return 0 ;;
    --no-browsers) [ "$want" = --no-browsers ] && return 0 ;;
  esac
  if [ "$want" = all ]; then bash "$ROOT/scripts/setup.sh" >&2; else bash "$ROOT/scripts/setup.sh" --no-browsers >&2; fi
  export GIOSG_SETUP=$want
}

# build_package: what ships into pkg/ (release, optimized by wasm-opt) and its npm tarball.
build_package() {
  log "building the package (scripts/package.sh)"
  bash "$ROOT/scripts/package.sh"
}

# start_server [extra flags]: builds and starts the local server on a free port, serving www/ and
# pkg/. Sets SERVER_URL (without a trailing slash) and SERVER_PID; stops it when the shell exits.
start_server() {
  (cd "$ROOT" && cargo build --quiet --release -p giosg-local-server)
  local out
  out=$(mktemp)
  "$ROOT/target/release/giosg-local-server" --port "${PORT:-0}" --www "$ROOT/www" --pkg "$ROOT/pkg" "$@" >"$out" 2>&1 &
  SERVER_PID=$!
  trap 'kill "$SERVER_PID" 2>/dev/null || true' EXIT
  trap 'exit 143' INT TERM
  local i
  for i in $(seq 1 100); do
    if SERVER_URL=$(sed -n 's|^giosg local server: \(http://[^ ]*\)/$|\1|p' "$out") && [ -n "$SERVER_URL" ]; then
      export SERVER_URL
      return 0
    fi
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then
      cat "$out" >&2
      return 1
    fi
    sleep 0.1
  done
  echo "the local server did not start:" >&2
  cat "$out" >&2
  return 1
}

# build_example: the example app (examples/visitor-app, a Yew app on the crate's Rust API) and the
# harness of the README's Rust quick start, for the browser: a release build for wasm32, then the
# wasm-bindgen CLI (`--target web`) into target/example-www/ with their pages, which the local
# server serves with `--www`. Incremental: with nothing changed, cargo does nothing and neither
# does wasm-bindgen (a second run takes a second or two).
EXAMPLE_WWW="$ROOT/target/example-www"
build_example() {
  log "building the example app and the Rust quick start (examples/visitor-app)"
  local wasm_dir="${CARGO_TARGET_DIR:-$ROOT/target}/wasm32-unknown-unknown/release" bin
  (cd "$ROOT" && cargo build --release --target wasm32-unknown-unknown -p giosg-visitor-example)
  mkdir -p "$EXAMPLE_WWW"
  for bin in app quickstart; do
    if [ ! "$EXAMPLE_WWW/${bin}_bg.wasm" -nt "$wasm_dir/$bin.wasm" ]; then
      wasm-bindgen --target web --no-typescript --out-dir "$EXAMPLE_WWW" --out-name "$bin" "$wasm_dir/$bin.wasm"
    fi
  done
  cp "$ROOT"/examples/visitor-app/www/*.html "$EXAMPLE_WWW/"
  # The quick start the harness was built from, for the test to compare with the docs.
  local code
  code=$(ls -t "$wasm_dir"/build/giosg-visitor-example-*/out/quickstart.rs | head -n 1)
  cp "$code" "$EXAMPLE_WWW/quickstart.rs.txt"
}
