#!/usr/bin/env bash
# Debian's azure-cli against its own isthmusd (no root, no fabric), set up as a user would: `az cloud
# register` from the ARM endpoint's metadata, `az cloud set`, `az login --service-principal` with a
# principal made by `isthmus ad sp create-for-rbac`; then account, groups and the tutorial's network
# commands under the hybrid profile (az 2.45's `latest` profile cannot load its network commands; see
# ../shared/notes/this-machine.md), every result checked with `isthmus`. A Reader principal is refused
# writes (AuthorizationFailed) and a wrong secret refused sign-in. isthmusd pages lists by 2, so az's
# lists follow nextLink.
# Usage: tests/e2e/az_test.sh ISTHMUS ISTHMUSD
set -euo pipefail
ISTHMUS=${1:?usage: az_test.sh ISTHMUS ISTHMUSD}
ISTHMUSD=${2:?usage: az_test.sh ISTHMUS ISTHMUSD}
command -v az >/dev/null || { echo "FAIL: az is not installed (scripts/deps.sh installs azure-cli)" >&2; exit 1; }
source "$(dirname "$0")/../lib/client_daemon.sh"
client_daemon_init az
client_daemon_start --page-size 2
sub=$("$ISTHMUS" account show --query id -o tsv)
owner=$("$ISTHMUS" ad sp create-for-rbac -n az-ci --role Contributor --scopes "/subscriptions/$sub" 2>/dev/null)
reader=$("$ISTHMUS" ad sp create-for-rbac -n az-reader --role Reader --scopes "/subscriptions/$sub" 2>/dev/null)
app=$(field appId <<<"$owner")
secret=$(field password <<<"$owner")

# az as a user sets it up: its own config directory, isthmusd's CA, no telemetry.
export AZURE_CONFIG_DIR="$STATE/az" AZURE_CORE_COLLECT_TELEMETRY=0 AZURE_CORE_NO_COLOR=1 \
  REQUESTS_CA_BUNDLE="$STATE/daemon/tls/ca.pem"
echo "az: cloud register, set, login"
az cloud register -n IsthmusCI --endpoint-resource-manager "https://127.0.0.1:$PORT/" \
  --profile 2020-09-01-hybrid -o none 2>"$STATE/az.err" || fail "az cloud register: $(cat "$STATE/az.err")"
az cloud set -n IsthmusCI -o none 2>/dev/null || fail "az cloud set"
if az login --service-principal -u "$app" -p "wrong-$secret" --tenant adfs -o none 2>"$STATE/az.err"; then
  fail "az login with a wrong secret succeeded"
fi
grep -q "Client authentication failed" "$STATE/az.err" || fail "a wrong secret: no "Client authentication failed" in: $(cat "$STATE/az.err")"
az login --service-principal -u "$app" -p "$secret" --tenant adfs -o none 2>"$STATE/az.err" ||
  fail "az login: $(cat "$STATE/az.err")"
expect_eq "$(az account show --query id -o tsv)" "$sub" "az account show: subscription"
expect_eq "$(az account show --query user.name -o tsv)" "$app" "az account show: user"
expect_eq "$(az account show --query user.type -o tsv)" "servicePrincipal" "az account show: user type"
expect_eq "$(az account show --query environmentName -o tsv)" "IsthmusCI" "az account show: cloud"

echo "az: groups"
for g in AzRG1:eastus AzRG4:westus AzRG9:eastus; do
  expect_eq "$(az group create -n "${g%%:*}" -l "${g##*:}" --query properties.provisioningState -o tsv)" \
    Succeeded "az group create ${g%%:*}"
done
expect_eq "$(az group show -n AzRG4 --query location -o tsv)" westus "az group show"
# Three groups in pages of two: az follows the nextLink.
expect_eq "$(az group list --query "sort([].name) | join(',', @)" -o tsv)" "AzRG1,AzRG4,AzRG9" "az group list"
expect_eq "$("$ISTHMUS" group exists -n AzRG9)" true "isthmus sees az's group"
az group delete -n AzRG9 --yes 2>/dev/null || fail "az group delete"
expect_eq "$("$ISTHMUS" group exists -n AzRG9)" false "the group az deleted"

echo "az: the tutorial's VNets, subnets, public IPs and gateways (hybrid profile)"
for spec in 1:AzRG1:eastus 4:AzRG4:westus; do
  IFS=: read -r n rg loc <<<"$spec"
  az network vnet create -n "VNet$n" -g "$rg" -l "$loc" --address-prefix "10.$n.0.0/16" \
    --subnet-name FrontEnd --subnet-prefix "10.$n.0.0/24" -o none 2>"$STATE/az.err" ||
    fail "az network vnet create VNet$n: $(cat "$STATE/az.err")"
  az network vnet subnet create --vnet-name "VNet$n" -n GatewaySubnet -g "$rg" \
    --address-prefix "10.$n.255.0/27" -o none 2>"$STATE/az.err" ||
    fail "az network vnet subnet create: $(cat "$STATE/az.err")"
  az network public-ip create -n "VNet${n}GWIP" -g "$rg" -l "$loc" --allocation-method Static --sku Standard \
    -o none 2>"$STATE/az.err" || fail "az network public-ip create: $(cat "$STATE/az.err")"
  az network vnet-gateway create -n "VNet${n}GW" -g "$rg" -l "$loc" --public-ip-address "VNet${n}GWIP" \
    --vnet "VNet$n" --gateway-type Vpn --sku VpnGw1 --vpn-type RouteBased --no-wait 2>"$STATE/az.err" ||
    fail "az network vnet-gateway create: $(cat "$STATE/az.err")"
done
expect_eq "$(az network vnet list --query "sort([].name) | join(',', @)" -o tsv 2>/dev/null)" "VNet1,VNet4" \
  "az network vnet list"
# What az made, as isthmus reads it.
for spec in 1:AzRG1 4:AzRG4; do
  IFS=: read -r n rg <<<"$spec"
  expect_eq "$("$ISTHMUS" network vnet show -n "VNet$n" -g "$rg" --query "addressSpace.addressPrefixes[0]" -o tsv)" \
    "10.$n.0.0/16" "VNet$n address space"
  expect_eq "$("$ISTHMUS" network vnet subnet list --vnet-name "VNet$n" -g "$rg" --query "sort([].name) | join(',', @)" -o tsv)" \
    "FrontEnd,GatewaySubnet" "VNet$n subnets"
  ip=$("$ISTHMUS" network public-ip show -n "VNet${n}GWIP" -g "$rg" --query ipAddress -o tsv)
  [[ $ip == 198.1[89].* ]] || fail "VNet${n}GWIP has no address from the underlay pool: '$ip'"
  state=""
  for _ in $(seq 50); do
    state=$("$ISTHMUS" network vnet-gateway show -n "VNet${n}GW" -g "$rg" --query provisioningState -o tsv)
    [[ $state == Succeeded ]] && break
    sleep 0.2
  done
  expect_eq "$state" Succeeded "VNet${n}GW provisioning"
  expect_eq "$("$ISTHMUS" network vnet-gateway show -n "VNet${n}GW" -g "$rg" --query "join(',', [sku.name, vpnType, gatewayType])" -o tsv)" \
    "VpnGw1,RouteBased,Vpn" "VNet${n}GW as az declared it"
  expect_eq "$("$ISTHMUS" network vnet-gateway show -n "VNet${n}GW" -g "$rg" --query "ipConfigurations[0].publicIPAddress.id" -o tsv)" \
    "/subscriptions/$sub/resourceGroups/$rg/providers/Microsoft.Network/publicIPAddresses/VNet${n}GWIP" \
    "VNet${n}GW's public IP"
done

echo "az: a Reader reads but cannot write"
AZURE_CONFIG_DIR="$STATE/az-reader" az cloud register -n IsthmusCI \
  --endpoint-resource-manager "https://127.0.0.1:$PORT/" --profile 2020-09-01-hybrid -o none 2>/dev/null
AZURE_CONFIG_DIR="$STATE/az-reader" az cloud set -n IsthmusCI -o none 2>/dev/null
AZURE_CONFIG_DIR="$STATE/az-reader" az login --service-principal -u "$(field appId <<<"$reader")" \
  -p "$(field password <<<"$reader")" --tenant adfs -o none 2>/dev/null || fail "az login as the Reader"
expect_eq "$(AZURE_CONFIG_DIR="$STATE/az-reader" az group show -n AzRG1 --query name -o tsv)" AzRG1 "a Reader's read"
if AZURE_CONFIG_DIR="$STATE/az-reader" az group create -n AzNope -l eastus -o none 2>"$STATE/az.err"; then
  fail "a Reader created a group"
fi
grep -q AuthorizationFailed "$STATE/az.err" || fail "a Reader's write: no AuthorizationFailed in: $(cat "$STATE/az.err")"
expect_eq "$("$ISTHMUS" group exists -n AzNope)" false "the Reader's group"

# No secret and no access token in isthmusd's log.
az_token=$(python3 -c "import json; d=json.load(open('$STATE/az/msal_token_cache.json')); print(next(iter(d['AccessToken'].values()))['secret'])")
[[ ${#az_token} -gt 100 ]] || fail "no access token in az's cache"
for s in "$secret" "$(field password <<<"$reader")" "$az_token" "$(cat "$STATE/daemon/token")"; do
  ! grep -qF "$s" "$STATE/isthmusd.log" || fail "a secret appears in isthmusd's log"
done
echo "PASS: az_test"
