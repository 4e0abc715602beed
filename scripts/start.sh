#!/usr/bin/env bash
# `npm start`: installs what is missing, builds the SDK and the server, and runs the server
# on the embedded SQLite default (data/), serving the demo page, widget and console.
# Extra arguments go to chatix-server (see `chatix-server --help`).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh --skip-setup
cargo build --profile server -p chatix-server >&2
exec target/server/chatix-server --www-dir www --pkg-dir pkg "$@"
