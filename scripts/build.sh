#!/usr/bin/env bash
# Builds the SDK npm package into pkg/ (and pkg/bundler/): cargo's release build for
# wasm32, wasm-bindgen (the pinned CLI that scripts/setup.sh installs) for the web and the
# bundler targets, then npm binaryen's wasm-opt -O2 -Oz --converge (never Debian's: see README
# "Toolchain"), then scripts/minify-glue.mjs makes the JS glue one minified file (esbuild)
# and scripts/package-sdk.mjs writes package.json and the bundler entry.
# Usage: scripts/build.sh [--skip-setup]
set -euo pipefail
cd "$(dirname "$0")/.."
[ "${1:-}" = "--skip-setup" ] || scripts/setup.sh

WASM_OPT=node_modules/.bin/wasm-opt
WASM=target/sdk/wasm32-unknown-unknown/release/chatix_core.wasm
scripts/cargo-sdk.sh
bindgen() { # target outdir
  rm -rf "$2/chatix_core"* "$2/snippets"
  # Writes chatix_core.js, chatix_core.d.ts, chatix_core_bg.wasm and chatix_core_bg.wasm.d.ts
  # (the bundler target also chatix_core_bg.js).
  wasm-bindgen --target "$1" --out-dir "$2" --out-name chatix_core "$WASM"
  # -O2 first, then -Oz to a fixed point: 0.6 KB less gzip than -Oz alone. --low-memory-unused
  # (fold constant offsets into loads and stores) holds for rustc's wasm32 layout: the stack
  # comes first and grows down from 1 MiB toward 0, data starts at 1 MiB, so nothing lives in
  # the low 1 KiB: 1.3 KB less.
  "$WASM_OPT" -O2 -Oz --converge --low-memory-unused --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
    --enable-mutable-globals --enable-reference-types --strip-producers --strip-target-features \
    "$2/chatix_core_bg.wasm" -o "$2/chatix_core_bg.wasm"
}
bindgen web pkg
# Short names on the wasm/JS boundary: scripts/minify-boundary.mjs says why.
node scripts/minify-boundary.mjs pkg
bindgen bundler pkg/bundler
node scripts/minify-boundary.mjs pkg/bundler --exports-only
# The glue as shipped: one minified file (the .d.ts keep the docs).
node scripts/minify-glue.mjs pkg/chatix_core.js pkg/bundler/chatix_core_bg.js
node scripts/package-sdk.mjs
gz() { gzip -9c "$1" | wc -c; }
printf '[build] pkg/ ready. gzip -9: SDK %s bytes (.wasm %s + JS glue %s), widget.js %s bytes\n' \
  "$(( $(gz pkg/chatix_core_bg.wasm) + $(gz pkg/chatix_core.js) ))" "$(gz pkg/chatix_core_bg.wasm)" \
  "$(gz pkg/chatix_core.js)" "$(gz www/widget.js)" >&2
