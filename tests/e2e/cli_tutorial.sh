#!/usr/bin/env bash
# Microsoft's tutorial "Configure a VNet-to-VNet VPN gateway connection using Azure CLI", with `az`
# replaced by `isthmus`, against a real isthmusd on loopback started with --fabric none: the daemon
# only stores and reconciles resources here (tests/e2e/fabric_tutorial_test.sh runs them live).
#
#   TestRG1 (eastus)                              TestRG4 (westus)
#   TestVNet1 10.11.0.0/16 + 10.12.0.0/16         TestVNet4 10.41.0.0/16 + 10.42.0.0/16
#     FrontEnd 10.11.0.0/24                         FrontEnd 10.41.0.0/24
#     BackEnd  10.12.0.0/24                         BackEnd  10.42.0.0/24
#     GatewaySubnet 10.12.255.0/27                  GatewaySubnet 10.42.255.0/27
#     VNet1GW (VNet1GWIP) ===== VNet1ToVNet4 / VNet4ToVNet1 ===== VNet4GW (VNet4GWIP)
#   TestVNet5 10.11.0.0/16 (TestRG4): overlaps TestVNet1, so connecting them must be refused.
#
# Usage: cli_tutorial.sh [path/to/isthmus] [path/to/isthmusd]   (or env ISTHMUS, ISTHMUSD)
# Exits non-zero on the first mismatch, naming it. Always stops the daemon and removes its state dir.
set -euo pipefail

ISTHMUS=${1:-${ISTHMUS:-}}
ISTHMUSD=${2:-${ISTHMUSD:-}}
if [[ -z "$ISTHMUS" || ! -x "$ISTHMUS" ]]; then
  echo "FAIL: the isthmus CLI binary was not found (got '${ISTHMUS}'); pass it as \$1 or ISTHMUS=" >&2
  exit 1
fi
if [[ -z "$ISTHMUSD" || ! -x "$ISTHMUSD" ]]; then
  echo "FAIL: the isthmusd binary was not found (got '${ISTHMUSD}'); pass it as \$2 or ISTHMUSD=" >&2
  exit 1
fi

STATE=$(mktemp -d "${TMPDIR:-/tmp}/isthmus-cli-e2e.XXXXXX")
DAEMON_PID=""
cleanup() {
  if [[ -n "$DAEMON_PID" ]] && kill -0 "$DAEMON_PID" 2>/dev/null; then
    kill "$DAEMON_PID" 2>/dev/null || true
    wait "$DAEMON_PID" 2>/dev/null || true
  fi
  rm -rf "$STATE"
}
trap cleanup EXIT

# ---------------------------------------------------------------- start our own isthmusd

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

start_daemon() {
  local attempt port
  for attempt in 1 2 3 4 5; do
    port=$((20000 + RANDOM % 40000))
    port_in_use "$port" && continue
    "$ISTHMUSD" --fabric none --listen "127.0.0.1:$port" --state-dir "$STATE/daemon" >"$STATE/isthmusd.log" 2>&1 &
    DAEMON_PID=$!
    # Ready = token written and the port answers; give up on this port if the daemon exits.
    for _ in $(seq 1 100); do
      if ! kill -0 "$DAEMON_PID" 2>/dev/null; then break; fi
      if [[ -s "$STATE/daemon/token" ]] && port_in_use "$port"; then
        PORT=$port
        return 0
      fi
      sleep 0.1
    done
    kill "$DAEMON_PID" 2>/dev/null || true
    wait "$DAEMON_PID" 2>/dev/null || true
    DAEMON_PID=""
  done
  echo "FAIL: isthmusd did not start; its log:" >&2
  cat "$STATE/isthmusd.log" >&2 || true
  exit 1
}
start_daemon
export ISTHMUS_ENDPOINT="https://127.0.0.1:$PORT"
export ISTHMUS_STATE_DIR="$STATE/daemon"
export ISTHMUS_CONFIG_DIR="$STATE/cli-config"
unset ISTHMUS_TOKEN
echo "isthmusd pid $DAEMON_PID on $ISTHMUS_ENDPOINT"

# ---------------------------------------------------------------- helpers

KEY="Tut0rialKey-$RANDOM$RANDOM"
KEY2="Upd4tedKey-$RANDOM$RANDOM"
ERRF="$STATE/stderr"
OUT="" ERR="" RC=0
STEPS=0

# Command lines are echoed with the shared keys masked: a test log is a log too.
masked() { local s="$*"; s=${s//$KEY/****}; s=${s//$KEY2/****}; printf '%s' "$s"; }
fail() {
  echo "FAIL: $(masked "$1")" >&2
  echo "--- isthmusd log (tail) ---" >&2
  tail -n 20 "$STATE/isthmusd.log" >&2 || true
  exit 1
}
run() {
  set +e
  OUT=$("$ISTHMUS" "$@" 2>"$ERRF")
  RC=$?
  set -e
  ERR=$(cat "$ERRF")
  STEPS=$((STEPS + 1))
}
# ok CMD...: must exit 0.
ok() {
  run "$@"
  [[ $RC -eq 0 ]] || fail "isthmus $* exited $RC: $ERR"
}
# expect WANT CMD...: must exit 0 and print exactly WANT.
expect() {
  local want=$1
  shift
  ok "$@"
  [[ "$OUT" == "$want" ]] || fail "isthmus $*: expected [$want], got [$OUT]"
}
# expect_error RC SUBSTRING CMD...: must exit RC with SUBSTRING on stderr and nothing on stdout.
expect_error() {
  local want_rc=$1 want_err=$2
  shift 2
  run "$@"
  [[ $RC -eq $want_rc ]] || fail "isthmus $*: expected exit $want_rc, got $RC (stderr: $ERR)"
  [[ "$ERR" == *"$want_err"* ]] || fail "isthmus $*: stderr lacks [$want_err]: $ERR"
  [[ -z "$OUT" ]] || fail "isthmus $*: expected no stdout on error, got [$OUT]"
}
wait_succeeded() {  # wait_succeeded RESOURCE-ARGS... : poll provisioningState (gateways made with --no-wait)
  local _
  for _ in $(seq 1 300); do
    run "$@" --query provisioningState -o tsv
    [[ $RC -eq 0 && "$OUT" == "Succeeded" ]] && return 0
    [[ $RC -eq 0 && "$OUT" == "Failed" ]] && fail "isthmus $*: provisioningState Failed"
    sleep 0.2
  done
  fail "isthmus $*: provisioningState never became Succeeded (last: $OUT $ERR)"
}

# ---------------------------------------------------------------- account

expect "true" account show --query isDefault -o tsv
SUB=$("$ISTHMUS" account show --query id -o tsv)
[[ -n "$SUB" ]] || fail "account show returned no id"
ok account set --subscription "$SUB"
[[ -s "$ISTHMUS_CONFIG_DIR/config.json" ]] || fail "account set did not write $ISTHMUS_CONFIG_DIR/config.json"
expect "$SUB" account list --query "[?isDefault].id | [0]" -o tsv

# ---------------------------------------------------------------- TestVNet1 (tutorial step by step)

ok group create -n TestRG1 -l eastus
expect "eastus" group show -n TestRG1 --query location -o tsv
expect "true" group exists -n TestRG1
# The tutorial creates the VNet with one prefix (--address-prefix, az's abbreviation) and adds the second.
ok network vnet create -n TestVNet1 -g TestRG1 --address-prefix 10.11.0.0/16 -l eastus \
  --subnet-name FrontEnd --subnet-prefix 10.11.0.0/24
expect "10.11.0.0/16" network vnet show -g TestRG1 -n TestVNet1 --query "addressSpace.addressPrefixes" -o tsv
ok network vnet update -n TestVNet1 --address-prefixes 10.11.0.0/16 10.12.0.0/16 -g TestRG1
ok network vnet subnet create --vnet-name TestVNet1 -n BackEnd -g TestRG1 --address-prefixes 10.12.0.0/24
ok network vnet subnet create --vnet-name TestVNet1 -n GatewaySubnet -g TestRG1 --address-prefixes 10.12.255.0/27
ok network public-ip create -n VNet1GWIP -g TestRG1 --allocation-method Static --sku Standard
run network vnet-gateway create -n VNet1GW -l eastus --public-ip-address VNet1GWIP -g TestRG1 --vnet TestVNet1 \
  --gateway-type Vpn --sku VpnGw1 --vpn-type RouteBased --no-wait
[[ $RC -eq 0 && -z "$OUT" ]] || fail "vnet-gateway create --no-wait: exit $RC, stdout [$OUT], stderr $ERR"

# ---------------------------------------------------------------- TestVNet4 (both prefixes at once)

ok group create -n TestRG4 -l westus
ok network vnet create -n TestVNet4 -g TestRG4 --address-prefixes 10.41.0.0/16 10.42.0.0/16 -l westus \
  --subnet-name FrontEnd --subnet-prefixes 10.41.0.0/24
ok network vnet subnet create --vnet-name TestVNet4 -n BackEnd -g TestRG4 --address-prefixes 10.42.0.0/24
ok network vnet subnet create --vnet-name TestVNet4 -n GatewaySubnet -g TestRG4 --address-prefixes 10.42.255.0/27
ok network public-ip create -n VNet4GWIP -g TestRG4 --allocation-method Static --sku Standard
ok network vnet-gateway create -n VNet4GW -l westus --public-ip-address VNet4GWIP -g TestRG4 --vnet TestVNet4 \
  --gateway-type Vpn --sku VpnGw1 --vpn-type RouteBased --no-wait

# ---------------------------------------------------------------- usage errors (exit 2, nothing sent)

expect_error 2 "the following arguments are required: --vnet" \
  network vnet-gateway create -g TestRG1 -n Nope --public-ip-address VNet1GWIP
expect_error 2 "the following arguments are required: --resource-group/-g" network vnet show -n TestVNet1
expect_error 2 "unrecognized arguments: --bogus" network vnet list -g TestRG1 --bogus
expect_error 2 "invalid choice: 'Huge'" network vnet-gateway create -g TestRG1 -n Nope \
  --public-ip-address VNet1GWIP --vnet TestVNet1 --sku Huge
expect_error 2 "argument --query" network vnet list -g TestRG1 --query "[?"
expect_error 2 "is not the ID of a Microsoft.Network/virtualNetworkGateways resource" \
  network vpn-connection create -g TestRG1 -n Nope --vnet-gateway1 VNet1GW \
  --vnet-gateway2 "/subscriptions/$SUB/resourceGroups/TestRG4/providers/Microsoft.Network/virtualNetworks/TestVNet4"
expect_error 2 "misspelled or not recognized" network vnett list
expect_error 1 "(ResourceNotFound)" network vnet show -g TestRG1 -n NoSuchVNet

# ---------------------------------------------------------------- gateways provisioned
# (tsv prints a list of scalars one per line, as az does; a {hash} or a list of lists gives one row.)

wait_succeeded network vnet-gateway show -g TestRG1 -n VNet1GW
wait_succeeded network vnet-gateway show -g TestRG4 -n VNet4GW
expect $'Vpn\tRouteBased\tVpnGw1\tfalse' network vnet-gateway show -g TestRG1 -n VNet1GW \
  --query "{t: gatewayType, v: vpnType, s: sku.name, a: activeActive}" -o tsv
expect "/subscriptions/$SUB/resourceGroups/TestRG1/providers/Microsoft.Network/virtualNetworks/TestVNet1/subnets/GatewaySubnet" \
  network vnet-gateway show -g TestRG1 -n VNet1GW --query "ipConfigurations[0].subnet.id" -o tsv
VNET1GW_ID=$("$ISTHMUS" network vnet-gateway show -n VNet1GW -g TestRG1 --query id -o tsv)
VNET4GW_ID=$("$ISTHMUS" network vnet-gateway show -n VNet4GW -g TestRG4 --query id -o tsv)
[[ "$VNET4GW_ID" == "/subscriptions/$SUB/resourceGroups/TestRG4/providers/Microsoft.Network/virtualNetworkGateways/VNet4GW" ]] ||
  fail "unexpected VNet4GW id [$VNET4GW_ID]"
expect "VNet1GW" network vnet-gateway list -g TestRG1 --query "[].name" -o tsv

# ---------------------------------------------------------------- connections by full resource ID

ok network vpn-connection create -n VNet1ToVNet4 -g TestRG1 --vnet-gateway1 VNet1GW -l eastus \
  --shared-key "$KEY" --vnet-gateway2 "$VNET4GW_ID"
[[ "$OUT" != *"$KEY"* ]] || fail "vpn-connection create printed the shared key"
# az prints a create's result under "resource"; --ids addresses the same connection.
[[ "$OUT" == *'"resource"'* ]] || fail "vpn-connection create output lacks the resource wrapper"
expect "Succeeded" network vpn-connection show -o tsv --query provisioningState \
  --ids "/subscriptions/$SUB/resourceGroups/TestRG1/providers/Microsoft.Network/connections/VNet1ToVNet4"
expect $'Vnet2Vnet\t'"$VNET1GW_ID"$'\t'"$VNET4GW_ID" network vpn-connection show --name VNet1ToVNet4 \
  --resource-group TestRG1 --query "{t: connectionType, g1: virtualNetworkGateway1.id, g2: virtualNetworkGateway2.id}" -o tsv
ok network vpn-connection create -n VNet4ToVNet1 -g TestRG4 --vnet-gateway1 VNet4GW -l westus \
  --shared-key "$KEY" --vnet-gateway2 "$VNET1GW_ID"
expect "Succeeded" network vpn-connection show -g TestRG4 -n VNet4ToVNet1 --query provisioningState -o tsv
ok network vpn-connection show -g TestRG1 -n VNet1ToVNet4
[[ "$OUT" != *"$KEY"* && "$OUT" != *sharedKey* ]] || fail "vpn-connection show revealed the shared key"
expect "VNet1ToVNet4" network vpn-connection list -g TestRG1 --query "[].name" -o tsv
expect "VNet1ToVNet4" network vpn-connection list -g TestRG1 --vnet-gateway VNet1GW --query "[].name" -o tsv

# ---------------------------------------------------------------- shared key

expect "$KEY" network vpn-connection shared-key show -g TestRG1 --connection-name VNet1ToVNet4 --query value -o tsv
ok network vpn-connection shared-key update -g TestRG1 --connection-name VNet1ToVNet4 --value "$KEY2"
[[ "$OUT" != *"$KEY2"* ]] || fail "shared-key update echoed the key"
ok network vpn-connection shared-key update -g TestRG4 --connection-name VNet4ToVNet1 --value "$KEY2"
expect "$KEY2" network vpn-connection shared-key show -g TestRG1 --connection-name VNet1ToVNet4 --query value -o tsv
expect "$KEY2" network vpn-connection shared-key show -g TestRG4 --connection-name VNet4ToVNet1 --query value -o tsv

# ---------------------------------------------------------------- custom IPsec/IKE policy

POLICY=(--dh-group DHGroup14 --ike-encryption AES256 --ike-integrity SHA384 --ipsec-encryption GCMAES256
  --ipsec-integrity GCMAES256 --pfs-group PFS2048 --sa-lifetime 27000 --sa-max-size 102400000)
ok network vpn-connection ipsec-policy add -g TestRG1 --connection-name VNet1ToVNet4 "${POLICY[@]}"
ok network vpn-connection ipsec-policy add -g TestRG4 --connection-name VNet4ToVNet1 "${POLICY[@]}"
expect "1" network vpn-connection ipsec-policy list -g TestRG1 --connection-name VNet1ToVNet4 --query "length(@)"
expect $'AES256\tSHA384\tDHGroup14\tGCMAES256\tGCMAES256\tPFS2048\t27000\t102400000' \
  network vpn-connection ipsec-policy list -g TestRG1 --connection-name VNet1ToVNet4 \
  --query "[].[ikeEncryption, ikeIntegrity, dhGroup, ipsecEncryption, ipsecIntegrity, pfsGroup, saLifeTimeSeconds, saDataSizeKilobytes]" \
  -o tsv
# The policy PUT carried no key: the server must have kept the stored one.
expect "$KEY2" network vpn-connection shared-key show -g TestRG1 --connection-name VNet1ToVNet4 --query value -o tsv

# ---------------------------------------------------------------- everything we made, field by field

expect $'10.11.0.0/16\n10.12.0.0/16' network vnet show -g TestRG1 -n TestVNet1 --query "addressSpace.addressPrefixes" -o tsv
expect $'10.41.0.0/16\n10.42.0.0/16' network vnet show -g TestRG4 -n TestVNet4 --query "addressSpace.addressPrefixes" -o tsv
run network vnet subnet list -g TestRG1 --vnet-name TestVNet1 --query "[].[name, addressPrefix]" -o tsv
[[ $RC -eq 0 ]] || fail "subnet list: $ERR"
[[ "$(sort <<<"$OUT")" == $'BackEnd\t10.12.0.0/24\nFrontEnd\t10.11.0.0/24\nGatewaySubnet\t10.12.255.0/27' ]] ||
  fail "TestVNet1 subnets: [$OUT]"
run network vnet subnet list -g TestRG4 --vnet-name TestVNet4 --query "[].[name, addressPrefix]" -o tsv
[[ "$(sort <<<"$OUT")" == $'BackEnd\t10.42.0.0/24\nFrontEnd\t10.41.0.0/24\nGatewaySubnet\t10.42.255.0/27' ]] ||
  fail "TestVNet4 subnets: [$OUT]"
expect "10.42.255.0/27" network vnet subnet show -g TestRG4 --vnet-name TestVNet4 -n GatewaySubnet --query addressPrefix -o tsv
expect $'Static\tStandard\tIPv4' network public-ip show -g TestRG1 -n VNet1GWIP \
  --query "{m: publicIPAllocationMethod, s: sku.name, v: publicIPAddressVersion}" -o tsv
for rg_pip in TestRG1/VNet1GWIP TestRG4/VNet4GWIP; do
  ok network public-ip show -g "${rg_pip%/*}" -n "${rg_pip#*/}" --query ipAddress -o tsv
  [[ "$OUT" =~ ^198\.1[89]\.[0-9]+\.[0-9]+$ ]] || fail "${rg_pip}: ipAddress [$OUT] is not from the underlay pool"
done
expect "eastus" network vnet-gateway show -g TestRG1 -n VNet1GW --query location -o tsv
expect "westus" network vpn-connection show -g TestRG4 -n VNet4ToVNet1 --query location -o tsv

# Table output: az's headers underlined with dashes, one row per resource.
ok network vnet list -g TestRG1 -o table
[[ "$(sed -n 1p <<<"$OUT")" == Name* || "$(sed -n 1p <<<"$OUT")" == *Name* ]] || fail "vnet list -o table header: [$OUT]"
[[ "$(sed -n 2p <<<"$OUT")" =~ ^-+(\ \ -+)*$ ]] || fail "vnet list -o table underline: [$OUT]"
[[ "$(sed -n 3p <<<"$OUT")" == *TestVNet1* ]] || fail "vnet list -o table row: [$OUT]"
expect $'Name       Prefix\n---------  ------------\nTestVNet1  10.11.0.0/16' \
  network vnet list -g TestRG1 --query "[].{Name:name, Prefix:addressSpace.addressPrefixes[0]}" -o table
expect "" network vnet list -g TestRG1 -o none

# ---------------------------------------------------------------- overlapping address space is refused

ok network vnet create -n TestVNet5 -g TestRG4 --address-prefixes 10.11.0.0/16 -l westus \
  --subnet-name GatewaySubnet --subnet-prefixes 10.11.255.0/27
ok network public-ip create -n VNet5GWIP -g TestRG4 --allocation-method Static --sku Standard
ok network vnet-gateway create -n VNet5GW -g TestRG4 --public-ip-address VNet5GWIP --vnet TestVNet5 --sku VpnGw1
expect "Succeeded" network vnet-gateway show -g TestRG4 -n VNet5GW --query provisioningState -o tsv
expect_error 1 "(VnetAddressSpacesOverlap)" network vpn-connection create -n VNet1ToVNet5 -g TestRG1 \
  --vnet-gateway1 VNet1GW --vnet-gateway2 "/subscriptions/$SUB/resourceGroups/TestRG4/providers/Microsoft.Network/virtualNetworkGateways/VNet5GW" \
  --shared-key "$KEY"
[[ "$ERR" == *10.11.0.0/16* ]] || fail "the overlap error does not name the prefix: $ERR"
[[ "$ERR" != *"$KEY"* ]] || fail "the overlap error contains the shared key"
expect_error 1 "(ResourceNotFound)" network vpn-connection show -g TestRG1 -n VNet1ToVNet5
# Growing a connected VNet into its peer's space is refused too.
expect_error 1 "(VnetAddressSpacesOverlap)" network vnet update -g TestRG4 -n TestVNet4 \
  --address-prefixes 10.41.0.0/16 10.42.0.0/16 10.12.0.0/16

# ---------------------------------------------------------------- teardown through the CLI

ok network vpn-connection ipsec-policy clear -g TestRG1 --connection-name VNet1ToVNet4
expect "0" network vpn-connection ipsec-policy list -g TestRG1 --connection-name VNet1ToVNet4 --query "length(@)"
ok network vpn-connection delete -g TestRG1 -n VNet1ToVNet4
expect "0" network vpn-connection list -g TestRG1 --query "length(@)"
ok group delete -n TestRG4 --yes
expect "false" group exists -n TestRG4
expect "TestRG1" group list --query "[].name" -o tsv

echo "PASS: cli_tutorial ($STEPS isthmus invocations)"
