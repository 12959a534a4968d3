#!/usr/bin/env bash
# The demo: installs what it needs, builds the package, starts the local server and prints the
# URL of the demo page. PORT=9000 bash scripts/demo.sh to choose the port (default 8080).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
ensure_setup --no-browsers
build_package
PORT=${PORT:-8080} start_server
log "demo running: open $SERVER_URL/ (Ctrl-C stops it)"
echo "$SERVER_URL/"
wait "$SERVER_PID"
