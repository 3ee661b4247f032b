#!/usr/bin/env bash
# examples/ deployed with `isthmus deployment group create` on isthmusd's live single-host fabric:
#   vnet-to-vnet  VNet1 (eastus) and VNet4 (westus) in one group, a VM in each: both connections
#                 Connected, ping and TCP both ways; a redeploy of the same template changes nothing
#                 (what-if all NoChange, the gateways' CHILD SA SPIs unchanged: no tunnel renegotiated);
#                 a new shared key changes only the connections, which connect again under it.
#   vnet-chain    VNet1 - VNet4 - VNet5, two links, four connections: neighbours reach each other,
#                 VNet1 does not reach VNet5 (no transit).
#   site-to-site  a VNet and a local network gateway for strongSwan (charon + kernel-libipsec) plugged
#                 into the underlay: Connected, ping both ways between VM1 and the on-premises side.
#   Debian's az   the vnet-to-vnet template through `az deployment group create`, then its connections
#                 replaced by ones `az network vpn-connection create` makes: Connected, ping both ways.
# Then deleting the groups leaves no namespace or process behind.
#
# Usage: template_fabric_test.sh ISTHMUS ISTHMUSD SOURCE_DIR   (root; skips with 77 otherwise)
set -euo pipefail
ISTHMUS=$1
ISTHMUSD=$2
SRC=$3
[[ $(id -u) -eq 0 ]] || { echo "SKIP: needs root"; exit 77; }
command -v az >/dev/null || { echo "FAIL: az is not installed (scripts/deps.sh installs azure-cli)" >&2; exit 1; }
[[ -x /usr/lib/ipsec/charon ]] || { echo "SKIP: strongSwan not installed"; exit 77; }
here=$(dirname "$0")
source "$here/../lib/fabric.sh"
source "$here/../lib/strongswan.sh"
fabric_init
fabric_start_daemon
ex=$SRC/examples

ping_ok() { ip netns exec "$1" ping -c 2 -i 0.2 -W 2 "$2" >/dev/null; }
vm_ip() { q vm show -g "$1" -n "$2" -d --query privateIps; }
deploy() {  # deploy RG NAME EXAMPLE [parameters…]: create, and check it Succeeded
  local rg=$1 name=$2 dir=$ex/$3
  shift 3
  run deployment group create -g "$rg" -n "$name" -f "$dir/azuredeploy.json" \
    -p "@$dir/azuredeploy.parameters.json" "$@" --query properties.provisioningState -o tsv
  [[ $RC -eq 0 && $OUT == Succeeded ]] || fail "deployment $rg/$name: rc $RC, '$OUT': $ERR"
  # The progress lines name each resource as it finishes.
  grep -q "Succeeded  Microsoft.Network/connections/" <<<"$ERR" || fail "no progress shown for $rg/$name: $ERR"
}

echo "== examples/vnet-to-vnet"
ok group create -n V2V -l eastus
t0=$SECONDS
deploy V2V v2v vnet-to-vnet sharedKey="$KEY"
echo "deployed in $((SECONDS - t0)) s"
wait_status Connected V2V VNet1ToVNet4 30
wait_status Connected V2V VNet4ToVNet1 10
gw4addr=$(q deployment group show -g V2V -n v2v --query properties.outputs.gateway4Address.value)
[[ $gw4addr == "$(q network public-ip show -g V2V -n VNet4GWIP --query ipAddress)" ]] ||
  fail "output gateway4Address is '$gw4addr'"
wait_state Succeeded vm show -g V2V -n VM1
wait_state Succeeded vm show -g V2V -n VM4
vm1=$(vm_ip V2V VM1)
vm4=$(vm_ip V2V VM4)
ns1=$(vm_ns V2V VM1)
ns4=$(vm_ns V2V VM4)
ping_ok "$ns1" "$vm4" || fail "VM1 cannot ping VM4 ($vm4)"
ping_ok "$ns4" "$vm1" || fail "VM4 cannot ping VM1 ($vm1)"
tcp_both_ways "$ns1" "$vm1" "$ns4" "$vm4"

echo "== the same template again: nothing changes, no tunnel is renegotiated"
spis1=$(gateway_spis V2V VNet1GW)
spis4=$(gateway_spis V2V VNet4GW)
[[ -n $spis1 && -n $spis4 ]] || fail "the gateways report no CHILD SA"
etag=$(q network vpn-connection show -g V2V -n VNet1ToVNet4 --query etag)
run deployment group what-if -g V2V -n again -f "$ex/vnet-to-vnet/azuredeploy.json" \
  -p "@$ex/vnet-to-vnet/azuredeploy.parameters.json" sharedKey="$KEY" --no-pretty-print \
  --query "properties.changes[?changeType!='NoChange'].resourceId" -o tsv
[[ $RC -eq 0 && -z $OUT ]] || fail "what-if of the same template would change: $OUT $ERR"
deploy V2V again vnet-to-vnet sharedKey="$KEY"
sleep 1
[[ $(gateway_spis V2V VNet1GW) == "$spis1" && $(gateway_spis V2V VNet4GW) == "$spis4" ]] ||
  fail "a redeploy renegotiated a tunnel"
[[ $(q network vpn-connection show -g V2V -n VNet1ToVNet4 --query etag) == "$etag" ]] ||
  fail "a redeploy rewrote a connection"
run deployment operation group list -g V2V -n again --query "[?properties.statusMessage!=null] | length(@)" -o tsv
[[ $OUT -gt 0 ]] || fail "the redeploy's operations do not say NoChange"

echo "== a new shared key: only the connections change, and connect again"
key2="An0ther-$RANDOM$RANDOM"
run deployment group what-if -g V2V -n rekey -f "$ex/vnet-to-vnet/azuredeploy.json" \
  -p "@$ex/vnet-to-vnet/azuredeploy.parameters.json" sharedKey="$key2"
[[ $RC -eq 0 ]] || fail "what-if failed: $ERR"
grep -q "Resource changes: 2 to modify" <<<"$OUT" || fail "what-if of a new key: $OUT"
grep -q "~ Microsoft.Network/connections/VNet1ToVNet4" <<<"$OUT" || fail "what-if names no connection: $OUT"
! grep -qF "$key2" <<<"$OUT" || fail "what-if shows the new key"
gwetag=$(q network vnet-gateway show -g V2V -n VNet1GW --query etag)
deploy V2V rekey vnet-to-vnet sharedKey="$key2"
[[ $(q network vnet-gateway show -g V2V -n VNet1GW --query etag) == "$gwetag" ]] || fail "the gateway was rewritten"
wait_status Connected V2V VNet1ToVNet4 30
wait_status Connected V2V VNet4ToVNet1 10
[[ $(q network vpn-connection shared-key show -g V2V --connection-name VNet1ToVNet4 --query value) == "$key2" ]] ||
  fail "the connection does not hold the new key"
ping_ok "$ns1" "$vm4" || fail "no traffic under the new key"
echo "ok: redeploys"

echo "== examples/vnet-chain"
ok group create -n Chain -l eastus
# Its VNets are 10.1/10.4/10.5 — the site-to-site example's 10.1.0.0/16 too, in another group (VNets
# that are never connected may overlap, as in Azure).
deploy Chain chain vnet-chain sharedKey="$KEY"
for c in VNet1ToVNet4 VNet4ToVNet1 VNet4ToVNet5 VNet5ToVNet4; do wait_status Connected Chain "$c" 30; done
for v in VM1 VM4 VM5; do wait_state Succeeded vm show -g Chain -n "$v"; done
c1=$(vm_ip Chain VM1)
c4=$(vm_ip Chain VM4)
c5=$(vm_ip Chain VM5)
cns1=$(vm_ns Chain VM1)
cns4=$(vm_ns Chain VM4)
cns5=$(vm_ns Chain VM5)
ping_ok "$cns1" "$c4" || fail "chain: VM1 cannot ping VM4"
ping_ok "$cns4" "$c5" || fail "chain: VM4 cannot ping VM5"
ping_ok "$cns5" "$c4" || fail "chain: VM5 cannot ping VM4"
! ip netns exec "$cns1" ping -c 1 -W 1 "$c5" >/dev/null || fail "chain: VM1 reaches VM5 through VNet4"
echo "ok: chain"

echo "== examples/site-to-site against strongSwan on the underlay"
peer=198.19.255.250
ok group create -n S2S -l eastus
deploy S2S s2s site-to-site sharedKey="$KEY" localGatewayIpAddress="$peer" 'localAddressPrefixes=["10.200.0.0/24"]'
gwip=$(q deployment group show -g S2S -n s2s --query properties.outputs.gatewayAddress.value)
[[ $gwip == "$(q network public-ip show -g S2S -n TestVNet1GWIP --query ipAddress)" ]] || fail "gatewayAddress is '$gwip'"
onprem_peer "$peer" "$gwip" 10.1.0.0/16
swns=$SWNS
wait_status Connected S2S TestVNet1ToSite1 30
wait_state Succeeded vm show -g S2S -n VM1
s1=$(vm_ip S2S VM1)
wait_for 10 ip netns exec "$swns" ping -c 1 -W 1 -I 10.200.0.1 "$s1" || fail "strongSwan's side cannot ping VM1"
run_on S2S VM1 "ping -c 2 -W 2 10.200.0.1" | grep -q "2 received" || fail "VM1 cannot ping the on-premises side"
kill "$SW_PID" 2>/dev/null || true
wait "$SW_PID" 2>/dev/null || true
ip netns del "$swns"
echo "ok: site-to-site"

echo "== Debian's az on the same fabric: the VNet-to-VNet template, then az network vpn-connection create"
sub=$(q account show --query id)
sp=$(q ad sp create-for-rbac -n fabric-az --role Contributor --scopes "/subscriptions/$sub" --query "[appId, password]")
read -r app secret <<<"$(echo $sp)"
export AZURE_CONFIG_DIR="$WORK/az" AZURE_CORE_COLLECT_TELEMETRY=0 AZURE_CORE_NO_COLOR=1 \
  REQUESTS_CA_BUNDLE="$STATE/tls/ca.pem"
azq() { az "$@" 2>"$WORK/az.err" || fail "az $1 $2 $3: $(cat "$WORK/az.err")"; }
azq cloud register -n IsthmusFabric --endpoint-resource-manager "$ISTHMUS_ENDPOINT/" --profile 2020-09-01-hybrid -o none
azq cloud set -n IsthmusFabric -o none
azq login --service-principal -u "$app" -p "$secret" --tenant adfs -o none
azq group create -n AzV2V -l eastus -o none
state=$(azq deployment group create -g AzV2V -n v2v --template-file "$ex/vnet-to-vnet/azuredeploy.json" \
  --parameters @"$ex/vnet-to-vnet/azuredeploy.parameters.json" sharedKey="$KEY" \
  'vnet1AddressPrefixes=["10.61.0.0/16","10.62.0.0/16"]' 'vnet2AddressPrefixes=["10.71.0.0/16","10.72.0.0/16"]' \
  --query properties.provisioningState -o tsv)
[[ $state == Succeeded ]] || fail "az deployment group create: $state"
wait_status Connected AzV2V VNet1ToVNet4 30
wait_status Connected AzV2V VNet4ToVNet1 10
for v in VM1 VM4; do wait_state Succeeded vm show -g AzV2V -n "$v"; done
a1=$(vm_ip AzV2V VM1)
a4=$(vm_ip AzV2V VM4)
[[ $a1 == 10.61.0.4 && $a4 == 10.71.0.4 ]] || fail "az's deployment put the VMs at $a1 and $a4"
ans1=$(vm_ns AzV2V VM1)
ans4=$(vm_ns AzV2V VM4)
ping_ok "$ans1" "$a4" || fail "az's deployment: VM1 cannot ping VM4"
# Replace the template's connections by ones az makes itself (az 2.45 makes them as a deployment).
for c in VNet1ToVNet4 VNet4ToVNet1; do ok network vpn-connection delete -g AzV2V -n "$c"; done
! ping_ok "$ans1" "$a4" || fail "VM1 still reaches VM4 with no connection"
azq network vpn-connection create -g AzV2V -n AzOneToFour --vnet-gateway1 VNet1GW --vnet-gateway2 VNet4GW \
  --shared-key "$KEY" -l eastus -o none
azq network vpn-connection create -g AzV2V -n AzFourToOne --vnet-gateway1 VNet4GW --vnet-gateway2 VNet1GW \
  --shared-key "$KEY" -l westus -o none
wait_status Connected AzV2V AzOneToFour 30
wait_status Connected AzV2V AzFourToOne 10
wait_for 10 ping_ok "$ans1" "$a4" || fail "no traffic over the connections az made"
ping_ok "$ans4" "$a1" || fail "VM4 cannot ping VM1 over the connections az made"
echo "ok: az"
for s in "$KEY" "$key2" "$secret"; do
  ! grep -rqF "$s" "$WORK/isthmusd.log" "$STATE"/fabric/*.log || fail "a secret appears in a log"
done

echo "== deleting the groups leaves nothing behind"
for rg in V2V Chain S2S AzV2V; do ok group delete -n "$rg" --yes --no-wait; done
for rg in V2V Chain S2S AzV2V; do wait_gone group show -n "$rg"; done
wait_for 30 no_fabric_left || fail "left behind: $(fabric_leftovers)"
echo "PASS: template_fabric ($STEPS CLI steps, $SECONDS s)"
