# Shared by scripts/demo.sh and scripts/test.sh: paths, and starting the local server.
# shellcheck shell=bash

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export PATH="$ROOT/node_modules/.bin:$HOME/.cargo/bin:$PATH"

log() { printf '\n==> %s\n' "$*" >&2; }

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
