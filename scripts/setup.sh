#!/usr/bin/env bash
# Installs everything the demo and the tests need on a fresh machine: the wasm target, the
# wasm-bindgen CLI at the version Cargo.lock pins, wasm-pack, wasm-opt (npm binaryen), Chromium and
# chromedriver, Firefox ESR and geckodriver, WebKitGTK's WebDriver (WebKitWebDriver, the engine of
# Safari) with Xvfb for its display, and the npm dev tools. Idempotent: each step checks first, so
# a second run takes a few seconds. Only crates.io, npm and Debian packages are used.
#
#   bash scripts/setup.sh            everything
#   bash scripts/setup.sh --no-browsers   skip the browsers (the demo needs none)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

WASM_PACK_VERSION=0.15.1
GECKODRIVER_VERSION=0.37.1

want_browsers=1
[ "${1:-}" = "--no-browsers" ] && want_browsers=0

log() { printf '[setup] %s\n' "$*" >&2; }

# The wasm-bindgen CLI must be exactly the version of the wasm-bindgen crate in Cargo.lock.
WASM_BINDGEN_VERSION=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)
[ -n "$WASM_BINDGEN_VERSION" ] || { log "cannot read the wasm-bindgen version from Cargo.lock"; exit 1; }

export PATH="$HOME/.cargo/bin:$PATH"

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  log "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

# cargo_tool BINARY VERSION CRATE [extra cargo install flags]
cargo_tool() {
  local bin=$1 version=$2 crate=$3; shift 3
  if command -v "$bin" >/dev/null && "$bin" --version 2>/dev/null | grep -qF " $version"; then
    return 0
  fi
  log "installing $crate $version (cargo install, a few minutes on a fresh machine)"
  cargo install "$crate" --version "=$version" --force "$@"
}
# wasm-bindgen-cli does not build with --locked at this version (see DESIGN.md).
cargo_tool wasm-bindgen "$WASM_BINDGEN_VERSION" wasm-bindgen-cli
cargo_tool wasm-pack "$WASM_PACK_VERSION" wasm-pack --locked

if [ "$want_browsers" = 1 ]; then
  cargo_tool geckodriver "$GECKODRIVER_VERSION" geckodriver --locked
  missing=()
  # webkit2gtk-driver: WebKitWebDriver and the MiniBrowser it drives, which needs a display:
  # xvfb-run (xvfb, xauth) gives it one. openssl: the certificate of the end-to-end tests' proxy
  # (tests/e2e/proxy.mjs), which answers for https://service.giosg.com.
  for pkg in chromium chromium-driver firefox-esr webkit2gtk-driver xvfb xauth openssl; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    log "installing Debian packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
fi

# npm dev tools (wasm-opt from the binaryen package, playwright-core, ...), exactly as the lock file says.
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  log "installing npm dev tools"
  npm ci --no-audit --no-fund --loglevel=error
fi
log "ready"
