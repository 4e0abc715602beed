#!/usr/bin/env bash
# The SDK's release cargo build for wasm32, shared by scripts/build.sh (pkg/) and
# scripts/build-sdk-names.sh (the same code with its names, for profiles and twiggy).
# It uses a pinned nightly (scripts/setup.sh installs it) for what stable cannot do yet,
# each measured on the shipped .wasm (gzip -9, 2026-12-02):
#   -Zbuild-std=std,panic_abort           std recompiled with the release profile (opt-level z, LTO)
#   -Zbuild-std-features=optimize_for_size std's smaller code paths (sorts, formatting)
#   -Cpanic=immediate-abort               a panic traps: no panic messages, locations or formatting
#   -Zfmt-debug=none -Zlocation-detail=none  no Debug formatting code or panic file paths
# together 128,184 -> 109,944 bytes. Messages shown to users never use `{:?}` (it prints
# nothing under fmt-debug=none): they put the value between quotes with `{}`. Tests and
# clippy build the SDK with stable as usual; only the shipped .wasm comes from here.
# Output: target/sdk/wasm32-unknown-unknown/release/chatix_core.wasm (its own target dir,
# so switching between this and stable builds of the workspace rebuilds nothing).
# Usage: scripts/cargo-sdk.sh
set -euo pipefail
cd "$(dirname "$0")/.."
SDK_TOOLCHAIN=$(cat scripts/sdk-toolchain)
RUSTFLAGS="-Zunstable-options -Cpanic=immediate-abort -Zfmt-debug=none -Zlocation-detail=none" \
  cargo "+$SDK_TOOLCHAIN" build --release --target wasm32-unknown-unknown -p chatix-core --lib \
  --target-dir target/sdk -Zbuild-std=std,panic_abort -Zbuild-std-features=optimize_for_size >&2
