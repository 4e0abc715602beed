#!/usr/bin/env bash
# `npm run bench`: builds the release SDK, the server and the load generator (profile
# `server`), raises the open-file limit for the connection bench, and runs bench/run.mjs,
# which writes bench/RESULTS.md. Pass --smoke for the tiny run that `npm test` does (it
# installs nothing: without twiggy the weight section says it skipped the per-crate table).
# PostgreSQL figures need CHATIX_TEST_DATABASE_URL (as .ci/run exports it).
set -euo pipefail
cd "$(dirname "$0")/.."
TWIGGY_VERSION=0.8.0   # the SDK's per-crate weight breakdown (bench/run.mjs section 5)
if [ "${1:-}" != --smoke ]; then
  scripts/setup.sh
  if [ "$(twiggy --version 2>/dev/null | awk '{print $2}')" != "$TWIGGY_VERSION" ]; then
    echo "[bench] installing twiggy $TWIGGY_VERSION (crates.io, about 2 minutes, once)" >&2
    cargo install -q twiggy --version "$TWIGGY_VERSION" --locked
  fi
  scripts/build.sh --skip-setup
  cargo build --profile server -p chatix-server -p chatix-bench >&2
  # Write the builds' dirty pages out now: left to the kernel's writeback they slowed the
  # first fsyncs of the fan-out section (Chatix refused sends at 3,400 msg/s right after a
  # twiggy install, none at 5,000 in a run without one).
  sync
fi
# 20,000 sockets on each side of loopback: lift the soft limit as far as the hard one goes.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
exec node bench/run.mjs "$@"
