#!/usr/bin/env bash
# Template deployments through Debian's azure-cli against its own isthmusd (no root, no fabric), set up
# as az_test.sh does: `az deployment group validate|what-if|create|show|list|export|delete` and
# `az deployment operation group list` on examples/vnet-chain, a redeploy that changes nothing (etags
# kept), a changed shared key that changes only the connections, and `az network vpn-connection create`
# (which az implements as a deployment); every result checked with `isthmus`.
# Usage: tests/e2e/template_az_test.sh ISTHMUS ISTHMUSD
set -euo pipefail
ISTHMUS=${1:?usage: template_az_test.sh ISTHMUS ISTHMUSD}
ISTHMUSD=${2:?usage: template_az_test.sh ISTHMUS ISTHMUSD}
command -v az >/dev/null || { echo "FAIL: az is not installed (scripts/deps.sh installs azure-cli)" >&2; exit 1; }
source "$(dirname "$0")/../lib/client_daemon.sh"
client_daemon_init taz
client_daemon_start --page-size 2
sub=$("$ISTHMUS" account show --query id -o tsv)
owner=$("$ISTHMUS" ad sp create-for-rbac -n az-ci --role Contributor --scopes "/subscriptions/$sub" 2>/dev/null)
app=$(field appId <<<"$owner")
secret=$(field password <<<"$owner")

# az as a user sets it up: its own config directory, isthmusd's CA, no telemetry.
export AZURE_CONFIG_DIR="$STATE/az" AZURE_CORE_COLLECT_TELEMETRY=0 AZURE_CORE_NO_COLOR=1 \
  REQUESTS_CA_BUNDLE="$STATE/daemon/tls/ca.pem"
echo "az: cloud register, set, login"
az cloud register -n IsthmusCI --endpoint-resource-manager "https://127.0.0.1:$PORT/" \
  --profile 2020-09-01-hybrid -o none 2>"$STATE/az.err" || fail "az cloud register: $(cat "$STATE/az.err")"
az cloud set -n IsthmusCI -o none 2>/dev/null || fail "az cloud set"
az login --service-principal -u "$app" -p "$secret" --tenant adfs -o none 2>"$STATE/az.err" ||
  fail "az login: $(cat "$STATE/az.err")"
expect_eq "$(az account show --query id -o tsv)" "$sub" "az account show: subscription"
expect_eq "$(az account show --query user.name -o tsv)" "$app" "az account show: user"
expect_eq "$(az account show --query user.type -o tsv)" "servicePrincipal" "az account show: user type"
expect_eq "$(az account show --query environmentName -o tsv)" "IsthmusCI" "az account show: cloud"

tmpl=$(cd "$(dirname "$0")/../.." && pwd)/examples/vnet-chain
az group create -n TplRG -l eastus -o none 2>/dev/null || fail "az group create"
deploy=(-g TplRG --template-file "$tmpl/azuredeploy.json" --parameters @"$tmpl/azuredeploy.parameters.json"
  --parameters deployVms=false)

echo "az: validate and what-if change nothing"
if az deployment group validate -n bad "${deploy[@]}" --parameters sharedKey=short -o none 2>"$STATE/az.err"; then
  fail "a too-short secure parameter validated"
fi
grep -q "shorter than the minimum 8" "$STATE/az.err" || fail "validate: $(cat "$STATE/az.err")"
! grep -q "'short'" "$STATE/az.err" || fail "the error repeats the secure value"
az deployment group validate -n v1 "${deploy[@]}" -o none 2>"$STATE/az.err" || fail "validate: $(cat "$STATE/az.err")"
creates=$(az deployment group what-if -n w1 "${deploy[@]}" --no-pretty-print 2>/dev/null |
  python3 -c "import json,sys; print(sum(c['changeType']=='Create' for c in json.load(sys.stdin)['changes']))")
expect_eq "$creates" 13 "what-if: 3 VNets, 3 IPs, 3 gateways, 4 connections to create"
expect_eq "$("$ISTHMUS" network vnet list -g TplRG --query "length(@)" -o tsv)" 0 "what-if created something"

echo "az: deployment group create"
out=$(az deployment group create -n chain "${deploy[@]}" --query "[properties.provisioningState, join(',', properties.outputs.connections.value)]" -o tsv 2>"$STATE/az.err") ||
  fail "az deployment group create: $(cat "$STATE/az.err")"
expect_eq "$(echo $out)" "Succeeded VNet1ToVNet4,VNet4ToVNet1,VNet4ToVNet5,VNet5ToVNet4" "the deployment and its outputs"
expect_eq "$(az deployment group show -g TplRG -n chain --query properties.parameters.sharedKey.type -o tsv)" SecureString \
  "the shared key's parameter shows its type only"
! az deployment group show -g TplRG -n chain -o json | grep -q "ExampleKey" || fail "az deployment group show shows the key"
expect_eq "$(az deployment operation group list -g TplRG -n chain --query "length([?properties.provisioningState=='Succeeded'])" -o tsv)" 13 \
  "the deployment's operations"
# az prints the exported template itself (no --query): it is the file as deployed.
az deployment group export -g TplRG -n chain >"$STATE/exported.json" 2>/dev/null || fail "az deployment group export"
python3 -c "import json,sys; sys.exit(json.load(open('$STATE/exported.json')) != json.load(open('$tmpl/azuredeploy.json')))" ||
  fail "the exported template is not the one deployed"
expect_eq "$("$ISTHMUS" network vnet-gateway list -g TplRG --query "sort([].name) | join(',', @)" -o tsv)" \
  "VNet1GW,VNet4GW,VNet5GW" "the gateways the template made"
expect_eq "$("$ISTHMUS" network vpn-connection shared-key show -g TplRG --connection-name VNet5ToVNet4 --query value -o tsv)" \
  "ExampleKey-ChangeMe-9012" "the connection's key"
etag_gw=$("$ISTHMUS" network vnet-gateway show -g TplRG -n VNet4GW --query etag -o tsv)
etag_conn=$("$ISTHMUS" network vpn-connection show -g TplRG -n VNet4ToVNet5 --query etag -o tsv)

echo "az: a redeploy changes nothing; a new key changes only the connections"
az deployment group create -n chain2 "${deploy[@]}" -o none 2>"$STATE/az.err" || fail "redeploy: $(cat "$STATE/az.err")"
expect_eq "$("$ISTHMUS" network vnet-gateway show -g TplRG -n VNet4GW --query etag -o tsv)" "$etag_gw" "a redeploy PUT the gateway"
expect_eq "$("$ISTHMUS" network vpn-connection show -g TplRG -n VNet4ToVNet5 --query etag -o tsv)" "$etag_conn" "a redeploy PUT the connection"
az deployment group create -n chain3 "${deploy[@]}" --parameters sharedKey=AnotherKey-77 -o none 2>"$STATE/az.err" ||
  fail "redeploy with a new key: $(cat "$STATE/az.err")"
expect_eq "$("$ISTHMUS" network vnet-gateway show -g TplRG -n VNet4GW --query etag -o tsv)" "$etag_gw" "a new key PUT the gateway"
[[ $("$ISTHMUS" network vpn-connection show -g TplRG -n VNet4ToVNet5 --query etag -o tsv) != "$etag_conn" ]] ||
  fail "a new key left the connection as it was"
expect_eq "$("$ISTHMUS" network vpn-connection shared-key show -g TplRG --connection-name VNet4ToVNet5 --query value -o tsv)" \
  "AnotherKey-77" "the new key"

echo "az: network vpn-connection create (a deployment in az)"
az network vpn-connection create -g TplRG -n VNet1ToVNet5 --vnet-gateway1 VNet1GW --vnet-gateway2 VNet5GW \
  --shared-key abcdefgh12345 -l eastus -o none 2>"$STATE/az.err" || fail "az network vpn-connection create: $(cat "$STATE/az.err")"
expect_eq "$("$ISTHMUS" network vpn-connection show -g TplRG -n VNet1ToVNet5 --query "[provisioningState, connectionType]" -o tsv | tr '\t\n' '  ' | xargs)" \
  "Succeeded Vnet2Vnet" "the connection az made"
expect_eq "$("$ISTHMUS" network vpn-connection show -g TplRG -n VNet1ToVNet5 --query "virtualNetworkGateway2.id" -o tsv)" \
  "/subscriptions/$sub/resourceGroups/TplRG/providers/Microsoft.Network/virtualNetworkGateways/VNet5GW" "its second gateway"

echo "az: deployment group delete keeps the resources"
az deployment group delete -g TplRG -n chain 2>"$STATE/az.err" || fail "az deployment group delete: $(cat "$STATE/az.err")"
! az deployment group list -g TplRG --query "[].name" -o tsv | grep -qx chain || fail "the deleted deployment is listed"
expect_eq "$("$ISTHMUS" network vnet list -g TplRG --query "length(@)" -o tsv)" 3 "the VNets after the deployment's delete"
for s in "$secret" "ExampleKey-ChangeMe-9012" "AnotherKey-77" "$(cat "$STATE/daemon/token")"; do
  ! grep -qF "$s" "$STATE/isthmusd.log" || fail "a secret appears in isthmusd's log"
done
echo "PASS: template_az_test"
