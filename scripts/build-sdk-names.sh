#!/usr/bin/env bash
# The SDK with its function names, for bench/profile-sdk.mjs (CPU profile per function) and
# the bench's per-crate weight breakdown (twiggy): the same release cargo build as pkg/
# (Cargo's release default, strip = "debuginfo", keeps the wasm `name` section), through
# wasm-bindgen for the web target, and no wasm-opt (it would drop the names). So it is
# exactly the shipped code before wasm-opt -Oz. Cargo and wasm-bindgen redo only what changed.
# Usage: scripts/build-sdk-names.sh [OUT_DIR]   (default target/sdk-profiling)
set -euo pipefail
cd "$(dirname "$0")/.."
OUT="${1:-target/sdk-profiling}"
WASM=target/sdk/wasm32-unknown-unknown/release/chatix_core.wasm
scripts/cargo-sdk.sh
mkdir -p "$OUT"
wasm-bindgen --target web --out-dir "$OUT" --out-name chatix_core "$WASM"
# The glue completed as in pkg/ (snippets and the handler properties bundled in), unminified.
node scripts/minify-glue.mjs --no-minify "$OUT/chatix_core.js"
# Fail loudly rather than profile `wasm-function[123]`: the release profile must keep names.
node -e '
const b = require("fs").readFileSync(process.argv[1]); let p = 8;
const leb = () => { let r = 0, s = 0, x; do { x = b[p++]; r += (x & 0x7f) * 2 ** s; s += 7; } while (x & 0x80); return r; };
while (p < b.length) {
  const id = b[p++]; const len = leb(); const end = p + len;
  if (id === 0) { const n = leb(); if (b.subarray(p, p + n).toString() === "name") process.exit(0); }
  p = end;
}
console.error(`${process.argv[1]}: no name section (did the release profile get strip = true?)`); process.exit(1);
' "$OUT/chatix_core_bg.wasm"
echo "[build-sdk-names] $OUT/chatix_core_bg.wasm (with names, no wasm-opt)" >&2
