#!/usr/bin/env bash
# Microsoft's JavaScript SDK against its own isthmusd (no root, no fabric): service principals made with
# `isthmus ad sp create-for-rbac`, then tests/e2e/sdk/sdk_test.mjs signs in with ClientSecretCredential
# and drives the VNet-to-VNet sequence through @azure/arm-resources and @azure/arm-network (versions
# pinned by tests/e2e/sdk/package-lock.json, installed with `npm ci`), then deploys examples/vnet-to-vnet
# as a template through Microsoft.Resources/deployments.
# Usage: tests/e2e/sdk_test.sh ISTHMUS ISTHMUSD
set -euo pipefail
ISTHMUS=${1:?usage: sdk_test.sh ISTHMUS ISTHMUSD}
ISTHMUSD=${2:?usage: sdk_test.sh ISTHMUS ISTHMUSD}
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../lib/client_daemon.sh"
client_daemon_init sdk

[[ -d $here/sdk/node_modules/@azure/arm-network ]] || (cd "$here/sdk" && npm ci --no-audit --no-fund --silent)

client_daemon_start --page-size 1
sub=$("$ISTHMUS" account show --query id -o tsv)
owner=$("$ISTHMUS" ad sp create-for-rbac -n sdk-ci --role Contributor --scopes "/subscriptions/$sub" 2>/dev/null)
reader=$("$ISTHMUS" ad sp create-for-rbac -n sdk-reader --role Reader --scopes "/subscriptions/$sub" 2>/dev/null)
# The sharedKey of the template the SDK deploys (examples/vnet-to-vnet), looked for in the log below.
template_key="SdkTpl-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"

NODE_EXTRA_CA_CERTS="$STATE/daemon/tls/ca.pem" node "$here/sdk/sdk_test.mjs" "$ISTHMUS_ENDPOINT" "$sub" \
  "$(field appId <<<"$owner")" "$(field password <<<"$owner")" \
  "$(field appId <<<"$reader")" "$(field password <<<"$reader")" "$STATE/daemon/signing.key" "$template_key" ||
  fail "the SDK run failed"
# No secret or token in the daemon's log.
for s in "$(field password <<<"$owner")" "$(field password <<<"$reader")" "$template_key" "$(cat "$STATE/daemon/token")"; do
  ! grep -qF "$s" "$STATE/isthmusd.log" || fail "a secret appears in isthmusd's log"
done
echo "PASS: sdk_test"
