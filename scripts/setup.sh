#!/usr/bin/env bash
# Installs what building and testing Chatix needs, checking each tool first so a warm
# machine pays nothing. Recipe and pitfalls: see "Toolchain" in README.md.
set -euo pipefail
cd "$(dirname "$0")/.."

WASM_BINDGEN_VERSION=0.2.130   # must match the `wasm-bindgen = "=…"` pin in Cargo.toml

log() { printf '[setup] %s\n' "$*" >&2; }

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  log "adding rust target wasm32-unknown-unknown"
  rustup target add wasm32-unknown-unknown
fi

# The shipped SDK .wasm is built with a pinned nightly (scripts/cargo-sdk.sh says why):
# rebuilding std for size needs its source (rust-src).
SDK_TOOLCHAIN=$(cat scripts/sdk-toolchain)
if ! rustup run "$SDK_TOOLCHAIN" rustc --print sysroot >/dev/null 2>&1 ||
   [ ! -d "$(rustup run "$SDK_TOOLCHAIN" rustc --print sysroot)/lib/rustlib/src/rust/library" ] ||
   [ ! -d "$(rustup run "$SDK_TOOLCHAIN" rustc --print sysroot)/lib/rustlib/wasm32-unknown-unknown" ]; then
  log "installing rust $SDK_TOOLCHAIN with rust-src and wasm32 (the SDK's size build, about 20 s, once)"
  rustup toolchain install "$SDK_TOOLCHAIN" --profile minimal --component rust-src \
    --target wasm32-unknown-unknown
fi

if [ "${CHATIX_SKIP_BROWSER:-}" != 1 ]; then
  if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
    log "installing Debian chromium + chromium-driver"
    SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium chromium-driver >/dev/null
  fi
fi

# libfaketime: the clock-skew fault test runs one server node with its clock 10 minutes off.
if ! command -v faketime >/dev/null; then
  log "installing Debian faketime (the clock-skew fault test)"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  { $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq faketime >/dev/null; } ||
    log "faketime not installed: the clock-skew test will say it skipped"
fi

if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$WASM_BINDGEN_VERSION" ] ||
   [ "$(wasm-bindgen-test-runner --version 2>/dev/null | awk '{print $2}')" != "$WASM_BINDGEN_VERSION" ]; then
  log "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION (a few minutes, once)"
  # no --locked: its lock file pins a crate version the registry mirror does not serve.
  # Also installs wasm-bindgen-test-runner (the browser tests' cargo runner).
  cargo install -q wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION"
fi

SCHEMATHESIS_VERSION=4.32.5
if [ "$(st --version 2>/dev/null | awk '{print $3}')" != "$SCHEMATHESIS_VERSION" ]; then
  log "installing schemathesis $SCHEMATHESIS_VERSION (PyPI)"
  python3 -m pip install -q --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION"
fi

OPENAPI_SPEC_VALIDATOR_VERSION=0.9.0
if [ "$(python3 -m pip show openapi-spec-validator 2>/dev/null | awk '/^Version:/{print $2}')" != "$OPENAPI_SPEC_VALIDATOR_VERSION" ]; then
  log "installing openapi-spec-validator $OPENAPI_SPEC_VALIDATOR_VERSION (PyPI)"
  python3 -m pip install -q --disable-pip-version-check "openapi-spec-validator==$OPENAPI_SPEC_VALIDATOR_VERSION"
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  log "installing npm packages"
  npm ci --no-audit --no-fund --loglevel=error
fi
