#!/usr/bin/env bash
# `npm test`: installs what is missing, then runs every check and test:
#   1. cargo fmt --check, cargo clippy -D warnings
#   2. Rust unit + integration tests (the server over real HTTP/WebSocket; the storage
#      suite on SQLite, and on PostgreSQL when CHATIX_TEST_DATABASE_URL is set)
#   3. schemathesis against the server's OpenAPI document; the SDK's browser tests (headless Chromium against a real server)
#   4. the SDK's size budget (bench/sdk-size-budget.json), the release package in a page,
#      the www end-to-end tests, and the ecosystem tests (tests/ecosystem: the OpenAPI
#      document through openapi-spec-validator and openapi-typescript, the d.ts under
#      tsc --strict, Vite and webpack production builds, the React bindings)
#   5. a smoke run of the benchmarks (every section at tiny sizes), so they cannot rot
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
step() { printf '\n== %s\n' "$*" >&2; }

step "format and lint"
cargo fmt --all -- --check
cargo clippy --workspace --all-targets -- -D warnings
cargo clippy --target wasm32-unknown-unknown -p chatix-core --all-targets -- -D warnings

step "Rust tests"
[ -n "${CHATIX_TEST_DATABASE_URL:-}" ] || echo "note: CHATIX_TEST_DATABASE_URL unset: PostgreSQL tests will say SKIPPED" >&2
cargo test --workspace

step "schemathesis against /v1/openapi.json"
cargo build -p chatix-server
scripts/schemathesis.sh

step "SDK browser tests (headless Chromium, real server)"
node tests/run-browser-tests.mjs

step "release package in a page"
scripts/build.sh --skip-setup
node scripts/check-sdk-size.mjs
node tests/release-package.mjs

for t in tests/e2e/*.mjs; do
  [ -e "$t" ] || continue
  step "end-to-end: $t"
  node "$t"
done

# The package as front-end tools see it (OpenAPI validator and generated client, tsc
# --strict, Vite and webpack production builds in Chromium, React).
for t in tests/ecosystem/*.mjs; do
  step "ecosystem: $t"
  node "$t"
done

step "bench smoke run (tiny sizes; the real run is npm run bench)"
cargo build -p chatix-bench
scripts/bench.sh --smoke
