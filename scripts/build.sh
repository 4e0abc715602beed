#!/usr/bin/env bash
# Builds the SDK npm package into pkg/ (and pkg/bundler/), release profile, then shrinks
# the .wasm with npm binaryen's wasm-opt -Oz (never Debian's: see README "Toolchain").
# Usage: scripts/build.sh [--skip-setup]
set -euo pipefail
cd "$(dirname "$0")/.."
[ "${1:-}" = "--skip-setup" ] || scripts/setup.sh

WASM_OPT=node_modules/.bin/wasm-opt
build() { # target outdir
  wasm-pack build --release --target "$1" --out-dir "$2" --out-name chatix_core --no-pack . >&2
  "$WASM_OPT" -Oz --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
    --enable-mutable-globals --enable-reference-types \
    "$2/chatix_core_bg.wasm" -o "$2/chatix_core_bg.wasm"
}
build web pkg
build bundler pkg/bundler
node scripts/package-sdk.mjs
gz() { gzip -9c "$1" | wc -c; }
printf '[build] pkg/ ready. gzip -9: SDK %s bytes (.wasm %s + JS glue %s), widget.js %s bytes\n' \
  "$(( $(gz pkg/chatix_core_bg.wasm) + $(gz pkg/chatix_core.js) ))" "$(gz pkg/chatix_core_bg.wasm)" \
  "$(gz pkg/chatix_core.js)" "$(gz www/widget.js)" >&2
