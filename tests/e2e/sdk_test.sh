#!/usr/bin/env bash
# Microsoft's JavaScript SDK against its own isthmusd (no root, no fabric): service principals made with
# `isthmus ad sp create-for-rbac`, then tests/e2e/sdk/sdk_test.mjs signs in with ClientSecretCredential
# and drives the VNet-to-VNet sequence through @azure/arm-resources and @azure/arm-network (versions
# pinned by tests/e2e/sdk/package-lock.json, installed with `npm ci`).
# Usage: tests/e2e/sdk_test.sh ISTHMUS ISTHMUSD
set -euo pipefail
ISTHMUS=${1:?usage: sdk_test.sh ISTHMUS ISTHMUSD}
ISTHMUSD=${2:?usage: sdk_test.sh ISTHMUS ISTHMUSD}
here=$(cd "$(dirname "$0")" && pwd)
STATE=$(mktemp -d "${TMPDIR:-/tmp}/isthmus-sdk.XXXXXX")
DAEMON_PID=""
cleanup() {
  [[ -n $DAEMON_PID ]] && kill "$DAEMON_PID" 2>/dev/null && wait "$DAEMON_PID" 2>/dev/null
  rm -rf "$STATE"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; [[ -f $STATE/isthmusd.log ]] && tail -20 "$STATE/isthmusd.log" >&2; exit 1; }

[[ -d $here/sdk/node_modules/@azure/arm-network ]] || (cd "$here/sdk" && npm ci --no-audit --no-fund --silent)

PORT=$((20000 + RANDOM % 40000))
"$ISTHMUSD" --fabric none --page-size 1 --listen "127.0.0.1:$PORT" --state-dir "$STATE/daemon" >"$STATE/isthmusd.log" 2>&1 &
DAEMON_PID=$!
export ISTHMUS_ENDPOINT="https://127.0.0.1:$PORT" ISTHMUS_STATE_DIR="$STATE/daemon" ISTHMUS_CONFIG_DIR="$STATE/cli"
for _ in $(seq 100); do
  "$ISTHMUS" account show -o none 2>/dev/null && break
  kill -0 "$DAEMON_PID" 2>/dev/null || fail "isthmusd exited"
  sleep 0.1
done
sub=$("$ISTHMUS" account show --query id -o tsv)
field() { python3 -c "import json,sys; print(json.load(sys.stdin)['$1'])"; }
owner=$("$ISTHMUS" ad sp create-for-rbac -n sdk-ci --role Contributor --scopes "/subscriptions/$sub" 2>/dev/null)
reader=$("$ISTHMUS" ad sp create-for-rbac -n sdk-reader --role Reader --scopes "/subscriptions/$sub" 2>/dev/null)

NODE_EXTRA_CA_CERTS="$STATE/daemon/tls/ca.pem" node "$here/sdk/sdk_test.mjs" "$ISTHMUS_ENDPOINT" "$sub" \
  "$(field appId <<<"$owner")" "$(field password <<<"$owner")" \
  "$(field appId <<<"$reader")" "$(field password <<<"$reader")" "$STATE/daemon/signing.key" ||
  fail "the SDK run failed"
# No secret or token in the daemon's log.
for s in "$(field password <<<"$owner")" "$(field password <<<"$reader")" "$(cat "$STATE/daemon/token")"; do
  ! grep -qF "$s" "$STATE/isthmusd.log" || fail "a secret appears in isthmusd's log"
done
echo "PASS: sdk_test"
