#!/usr/bin/env bash
# Schemathesis (PyPI) against the server's own OpenAPI document (/v1/openapi.json): every
# operation with generated and mutated inputs, as the secret key and again as a visitor. Checks: no 5xx, status
# codes, content types, headers and bodies as documented. `npm test` runs it briefly;
# `CHATIX_SCHEMATHESIS_EXAMPLES=500 scripts/schemathesis.sh` runs longer.
# Needs target/debug/chatix-server (cargo build -p chatix-server).
set -euo pipefail
cd "$(dirname "$0")/.."
PORT="${CHATIX_SCHEMATHESIS_PORT:-18811}"
DIR="$(mktemp -d)"
target/debug/chatix-server --listen "127.0.0.1:$PORT" --data-dir "$DIR" \
  --requests-per-second 100000 --request-burst 100000 >"$DIR/server.log" 2>&1 &
PID=$!
trap 'kill $PID 2>/dev/null; wait $PID 2>/dev/null; rm -rf "$DIR"' EXIT
for _ in $(seq 100); do curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.1; done
demo() { python3 -c "import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])" "$DIR/demo.json" "$1"; }
SECRET="$(demo secretKey)"
VISITOR="$(curl -fs -X POST -H 'Content-Type: application/json' \
  -d "{\"websiteId\": \"$(demo websiteId)\"}" "http://127.0.0.1:$PORT/v1/auth/visitor" |
  python3 -c "import json,sys; print(json.load(sys.stdin)['token'])")"
for who in "secret key:$SECRET" "visitor:$VISITOR"; do
  echo "-- schemathesis as the ${who%%:*}"
  st run "http://127.0.0.1:$PORT/v1/openapi.json" --url "http://127.0.0.1:$PORT" \
    -H "Authorization: Bearer ${who#*:}" \
    --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,response_headers_conformance \
    --max-examples "${CHATIX_SCHEMATHESIS_EXAMPLES:-10}" --workers 1 --seed "${CHATIX_SCHEMATHESIS_SEED:-1}" \
    --no-color 2>&1 | grep -vE '^\s*$' | tail -${CHATIX_SCHEMATHESIS_TAIL:-12}
done
