#!/usr/bin/env bash
# A Rust app on the SDK: builds tests/rust-app (giosg-visitor with default features off, and the
# app's own wasm-bindgen) for wasm32 with the lowest wasm-bindgen the SDK supports (its
# requirement in Cargo.toml) and with the newest on crates.io, and fails when anything of the SDK's
# JS surface (the `Visitor` class, its methods, its types) is among the app's exports:
#   - each build's `.wasm`, as rustc wrote it, must export only the app's own item
#     (tests/rust-app/check.mjs reads the exports with WebAssembly.Module.exports);
#   - for the wasm-bindgen version of the installed CLI (the one Cargo.lock pins, which
#     scripts/setup.sh installs; built too if it is neither the lowest nor the newest),
#     `wasm-bindgen --target web` runs on it and the generated `.d.ts` and `.wasm` are checked too.
# Each version gets its own copy of the app under target/rust-app/ with a lock file made there
# (the app's lock is not committed: "newest" is what crates.io has today); the builds share one
# target directory, so a second run only relinks.
#
#   bash scripts/rust-app.sh
#   RUST_APP_SDK=/path/to/giosg-visitor bash scripts/rust-app.sh   another checkout of the SDK
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

SDK=${RUST_APP_SDK:-$ROOT}
# The app's own exports: the only items allowed in its JS surface.
APP_EXPORTS=app_storage_known
WORK=${CARGO_TARGET_DIR:-$ROOT/target}/rust-app
TARGET_DIR=$WORK/target

fail() { echo "rust-app.sh: $*" >&2; exit 1; }

# The lowest: the SDK's caret requirement, `wasm-bindgen = "0.2.N"` (or `{ version = "0.2.N", ... }`).
LOWEST=$(sed -n 's/^wasm-bindgen = \({ *version = \)\{0,1\}"\^\{0,1\}\([0-9][0-9.]*\)".*/\2/p' "$SDK/Cargo.toml" | head -n 1)
[[ $LOWEST =~ ^0\.2\.[0-9]+$ ]] || fail "cannot read the SDK's lowest wasm-bindgen from $SDK/Cargo.toml (want a line wasm-bindgen = \"0.2.N\")"
ensure_setup --no-browsers
command -v wasm-bindgen >/dev/null || fail "no wasm-bindgen CLI on PATH (bash scripts/setup.sh installs it)"
CLI=$(wasm-bindgen --version | awk '{ print $2 }')

# build NAME [VERSION]: the app in $WORK/NAME, wasm-bindgen pinned to VERSION (or the newest).
# Sets BUILT_WASM and BUILT_VERSION.
build() {
  local name=$1 pin=${2:-} dir=$WORK/$1
  rm -rf "$dir"
  mkdir -p "$dir"
  cp -r "$ROOT/tests/rust-app/src" "$dir/"
  sed -e "s#path = \"../..\"#path = \"$SDK\"#" "$ROOT/tests/rust-app/Cargo.toml" > "$dir/Cargo.toml"
  grep -qF "path = \"$SDK\"" "$dir/Cargo.toml" || fail "tests/rust-app/Cargo.toml: the SDK's path dependency was not found"
  if [ -n "$pin" ]; then
    sed -i "s#^wasm-bindgen = \".*\"#wasm-bindgen = \"=$pin\"#" "$dir/Cargo.toml"
    grep -qxF "wasm-bindgen = \"=$pin\"" "$dir/Cargo.toml" || fail "tests/rust-app/Cargo.toml: its wasm-bindgen line was not found"
  fi
  (cd "$dir" && cargo generate-lockfile --quiet)
  BUILT_VERSION=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' "$dir/Cargo.lock")
  log "Rust app, default features off, wasm-bindgen $BUILT_VERSION ($name): cargo build --target wasm32-unknown-unknown"
  (cd "$dir" && CARGO_TARGET_DIR=$TARGET_DIR nice -n 10 cargo build --quiet --target wasm32-unknown-unknown)
  mkdir -p "$WORK/out"
  BUILT_WASM=$WORK/out/$name.wasm
  cp "$TARGET_DIR/wasm32-unknown-unknown/debug/giosg_visitor_rust_app.wasm" "$BUILT_WASM"
  node "$ROOT/tests/rust-app/check.mjs" --allow "$APP_EXPORTS" "$BUILT_WASM" ||
    fail "the SDK leaks into a Rust app's exports (wasm-bindgen $BUILT_VERSION, default features off): see above"
}

# wasm_bindgen_cli WASM: the CLI's --target web output, and its .d.ts and .wasm checked.
wasm_bindgen_cli() {
  local out=$WORK/out/bindgen
  rm -rf "$out"
  log "wasm-bindgen $CLI --target web on the Rust app"
  wasm-bindgen --target web --out-dir "$out" --out-name app "$1"
  node "$ROOT/tests/rust-app/check.mjs" --allow "$APP_EXPORTS" "$out/app.d.ts" "$out/app_bg.wasm" ||
    fail "the SDK leaks into a Rust app's generated JS (wasm-bindgen $CLI --target web, default features off): see above"
}

cli_done=
build lowest "$LOWEST"
[ "$BUILT_VERSION" = "$LOWEST" ] || fail "asked for wasm-bindgen $LOWEST, the lock file has $BUILT_VERSION"
if [ "$BUILT_VERSION" = "$CLI" ]; then wasm_bindgen_cli "$BUILT_WASM"; cli_done=1; fi
build newest
if [ "$BUILT_VERSION" = "$CLI" ]; then wasm_bindgen_cli "$BUILT_WASM"; cli_done=1; fi
if [ -z "$cli_done" ]; then
  build cli "$CLI"
  wasm_bindgen_cli "$BUILT_WASM"
fi
log "Rust app: the SDK adds nothing to its exports (wasm-bindgen $LOWEST and the newest)"
