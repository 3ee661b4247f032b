#!/usr/bin/env bash
# The cloud on one host, live: Microsoft's "Configure a VNet-to-VNet VPN gateway connection using
# Azure CLI" with `az` replaced by `isthmus`, against isthmusd with its single-host fabric. Everything
# on the host is made by isthmusd; this script only talks to it through the CLI and then looks.
#
#   TestRG1 (eastus)                                   TestRG4 (westus)
#   VNet1 10.11.0.0/16 + 10.12.0.0/16                  VNet4 10.41.0.0/16 + 10.42.0.0/16
#     FrontEnd 10.11.0.0/24  VM1 .4                      FrontEnd 10.41.0.0/24  VM4 .4
#     BackEnd  10.12.0.0/24                              BackEnd  10.42.0.0/24
#     GatewaySubnet 10.12.255.0/27 ─ VNet1GW ══ underlay ══ VNet4GW ─ GatewaySubnet 10.42.255.0/27
#   VNet5 10.51.0.0/16 (TestRG5) ─ VNet5GW, connected to VNet4 only: VM1 must not reach VM5.
#
# Then: ping and TCP both ways VM1 <-> VM4; only ESP (UDP 4500) and IKE on the underlay; no transit
# 1 -> 4 -> 5; kill -9 of isthmusd keeps the tunnel forwarding and the restarted daemon adopts it
# with the same SPIs; deleting everything leaves no namespace or process behind.
#
# Usage: fabric_tutorial_test.sh ISTHMUS ISTHMUSD   (root; skips with 77 otherwise)
set -euo pipefail
ISTHMUS=$1
ISTHMUSD=$2
[[ $(id -u) -eq 0 ]] || { echo "SKIP: needs root"; exit 77; }
source "$(dirname "$0")/../lib/fabric.sh"
fabric_init
fabric_start_daemon

echo "== the tutorial"
ok group create -n TestRG1 -l eastus
ok network vnet create -n VNet1 -g TestRG1 --address-prefix 10.11.0.0/16 -l eastus --subnet-name FrontEnd \
  --subnet-prefix 10.11.0.0/24
ok network vnet update -n VNet1 --address-prefixes 10.11.0.0/16 10.12.0.0/16 -g TestRG1
ok network vnet subnet create --vnet-name VNet1 -n BackEnd -g TestRG1 --address-prefix 10.12.0.0/24
ok network vnet subnet create --vnet-name VNet1 -n GatewaySubnet -g TestRG1 --address-prefix 10.12.255.0/27
ok network public-ip create -n VNet1GWIP -g TestRG1 --allocation-method Dynamic
ok network vnet-gateway create -n VNet1GW -l eastus --public-ip-address VNet1GWIP -g TestRG1 --vnet VNet1 \
  --gateway-type Vpn --sku VpnGw1 --vpn-type RouteBased --no-wait

ok group create -n TestRG4 -l westus
ok network vnet create -n VNet4 -g TestRG4 --address-prefix 10.41.0.0/16 -l westus --subnet-name FrontEnd \
  --subnet-prefix 10.41.0.0/24
ok network vnet update -n VNet4 --address-prefixes 10.41.0.0/16 10.42.0.0/16 -g TestRG4
ok network vnet subnet create --vnet-name VNet4 -n BackEnd -g TestRG4 --address-prefix 10.42.0.0/24
ok network vnet subnet create --vnet-name VNet4 -n GatewaySubnet -g TestRG4 --address-prefix 10.42.255.0/27
ok network public-ip create -n VNet4GWIP -g TestRG4 --allocation-method Dynamic
ok network vnet-gateway create -n VNet4GW -l westus --public-ip-address VNet4GWIP -g TestRG4 --vnet VNet4 \
  --gateway-type Vpn --sku VpnGw1 --vpn-type RouteBased --no-wait

ok vm create -g TestRG1 -n VM1 --vnet-name VNet1 --subnet FrontEnd --image Ubuntu2204 --no-wait
ok vm create -g TestRG4 -n VM4 --vnet-name VNet4 --subnet FrontEnd --image Ubuntu2204 --no-wait

wait_state Succeeded network vnet-gateway show -g TestRG1 -n VNet1GW
wait_state Succeeded network vnet-gateway show -g TestRG4 -n VNet4GW
gw1=$(q network vnet-gateway show -n VNet1GW -g TestRG1 --query id)
gw4=$(q network vnet-gateway show -n VNet4GW -g TestRG4 --query id)
ok network vpn-connection create -n VNet1ToVNet4 -g TestRG1 --vnet-gateway1 VNet1GW -l eastus \
  --shared-key "$KEY" --vnet-gateway2 "$gw4"
ok network vpn-connection create -n VNet4ToVNet1 -g TestRG4 --vnet-gateway1 VNet4GW -l westus \
  --shared-key "$KEY" --vnet-gateway2 "$gw1"
wait_status Connected TestRG1 VNet1ToVNet4 30
wait_status Connected TestRG4 VNet4ToVNet1 5
wait_state Succeeded vm show -g TestRG1 -n VM1
wait_state Succeeded vm show -g TestRG4 -n VM4
vm1=$(q vm show -g TestRG1 -n VM1 -d --query privateIps)
vm4=$(q vm show -g TestRG4 -n VM4 -d --query privateIps)
[[ $vm1 == 10.11.0.4 && $vm4 == 10.41.0.4 ]] || fail "VM addresses are $vm1 and $vm4, not the first free .4"

echo "== traffic between the VMs, both ways"
ns1=$(vm_ns TestRG1 VM1)
ns4=$(vm_ns TestRG4 VM4)
ul=$(underlay_ns)
ip netns exec "$ul" timeout 20 tcpdump -i ul0 -n -l -c 400 >"$WORK/underlay.txt" 2>/dev/null &
dump=$!
sleep 0.5
ip netns exec "$ns1" ping -c 3 -i 0.2 -W 2 "$vm4" >/dev/null || fail "VM1 cannot ping VM4"
ip netns exec "$ns4" ping -c 3 -i 0.2 -W 2 "$vm1" >/dev/null || fail "VM4 cannot ping VM1"
run_on TestRG1 VM1 "ping -c 2 -W 2 $vm4" | grep -q "2 received" || fail "run-command ping from VM1 did not reach VM4"
tcp_both_ways "$ns1" "$vm1" "$ns4" "$vm4"
sleep 0.5
kill "$dump" 2>/dev/null || true
wait "$dump" 2>/dev/null || true
[[ -s $WORK/underlay.txt ]] || fail "tcpdump saw nothing on the underlay"
if grep -E '10\.(11|12|41|42)\.' "$WORK/underlay.txt" | head -3 | grep -q .; then
  fail "inner addresses seen in clear on the underlay: $(grep -E '10\.(11|41)\.' "$WORK/underlay.txt" | head -3)"
fi
grep -q 'UDP' "$WORK/underlay.txt" || grep -q '\.4500' "$WORK/underlay.txt" || fail "no ESP-in-UDP on the underlay"
if grep -v -E '\.4500[ :]|\.500[ :]|ARP|IP6' "$WORK/underlay.txt" | grep -q .; then
  fail "traffic other than IKE/ESP on the underlay: $(grep -v -E '\.4500[ :]|\.500[ :]|ARP|IP6' "$WORK/underlay.txt" | head -3)"
fi
ingress=$(q network vpn-connection show -g TestRG1 -n VNet1ToVNet4 --query ingressBytesTransferred)
((ingress > 100000)) || fail "ingressBytesTransferred is $ingress after a TCP stream"
echo "ok: ping and TCP both ways; underlay carries only IKE/ESP; ingress $ingress bytes"

echo "== no transit without BGP: VNet5 is connected to VNet4 only"
ok group create -n TestRG5 -l westus
ok network vnet create -n VNet5 -g TestRG5 --address-prefix 10.51.0.0/16 --subnet-name FrontEnd \
  --subnet-prefix 10.51.0.0/24
ok network vnet subnet create --vnet-name VNet5 -n GatewaySubnet -g TestRG5 --address-prefix 10.51.255.0/27
ok network public-ip create -n VNet5GWIP -g TestRG5 --allocation-method Dynamic
ok network vnet-gateway create -n VNet5GW --public-ip-address VNet5GWIP -g TestRG5 --vnet VNet5 --no-wait
ok vm create -g TestRG5 -n VM5 --vnet-name VNet5 --subnet FrontEnd
wait_state Succeeded network vnet-gateway show -g TestRG5 -n VNet5GW
gw5=$(q network vnet-gateway show -n VNet5GW -g TestRG5 --query id)
ok network vpn-connection create -n VNet4ToVNet5 -g TestRG4 --vnet-gateway1 VNet4GW --shared-key "$KEY" --vnet-gateway2 "$gw5"
ok network vpn-connection create -n VNet5ToVNet4 -g TestRG5 --vnet-gateway1 VNet5GW --shared-key "$KEY" --vnet-gateway2 "$gw4"
wait_status Connected TestRG5 VNet5ToVNet4 30
ns5=$(vm_ns TestRG5 VM5)
ip netns exec "$ns5" ping -c 2 -i 0.2 -W 2 "$vm4" >/dev/null || fail "VM5 cannot ping VM4"
if ip netns exec "$ns1" ping -c 2 -i 0.2 -W 1 10.51.0.4 >/dev/null 2>&1; then
  fail "VM1 reached VM5 through VNet4: transit without BGP"
fi
echo "ok: 4 <-> 5 connected, 1 -> 5 not reachable"

echo "== privilege and isolation"
# Each isthmus-gateway keeps CAP_NET_ADMIN only (routes into its TUN on reload), can gain nothing back.
for gw in "TestRG1 VNet1GW" "TestRG4 VNet4GW"; do
  read -r rg name <<<"$gw"
  pid=$(gateway_pid "$rg" "$name")
  status=$(cat "/proc/$pid/status")
  for want in 'CapEff:[[:space:]]*0000000000001000' 'CapPrm:[[:space:]]*0000000000001000' \
    'CapBnd:[[:space:]]*0000000000001000' 'NoNewPrivs:[[:space:]]*1'; do
    grep -qE "^$want\$" <<<"$status" || fail "$name (pid $pid): no '$want' in: $(grep -E '^(Cap|NoNew)' <<<"$status" | tr '\n' ' ')"
  done
done
# A VM reaches neither the host's own addresses nor the management API on them (an address inside this
# test's VNets is the VNet's own, not the host's).
for a in $(ip -4 -o addr show | awk '{print $4}' | cut -d/ -f1 | grep -vE '^10\.(11|12|41|42|51)\.'); do
  if ip netns exec "$ns1" timeout 1 bash -c "exec 3<>/dev/tcp/$a/$PORT" 2>/dev/null; then
    fail "VM1 reached the host's $a:$PORT"
  fi
done
echo "ok: gateways hold CAP_NET_ADMIN only; VM1 cannot reach the host"

echo "== kill -9 of isthmusd: tunnels keep forwarding; the restart adopts them"
spis_before=$(gateway_spis TestRG1 VNet1GW)
[[ -n $spis_before ]] || fail "no CHILD SA SPIs on VNet1GW"
kill -9 "$DAEMON_PID"
wait "$DAEMON_PID" 2>/dev/null || true
ip netns exec "$ns1" ping -c 3 -i 0.2 -W 2 "$vm4" >/dev/null || fail "the tunnel stopped forwarding while isthmusd was down"
fabric_start_daemon
wait_status Connected TestRG1 VNet1ToVNet4 10
sleep 2  # two reconcile passes: any renegotiation would have happened by now
spis_after=$(gateway_spis TestRG1 VNet1GW)
[[ "$spis_before" == "$spis_after" ]] || fail "SPIs changed across the restart: [$spis_before] -> [$spis_after]"
ip netns exec "$ns1" ping -c 2 -i 0.2 -W 2 "$vm4" >/dev/null || fail "no traffic after the restart"
echo "ok: forwarding while down, same SPIs after ($spis_after)"

echo "== deleting a connection pair stops its traffic and removes its routes"
r4=$(vnet_ns TestRG4 VNet4)
ip -n "$r4" route show 10.51.0.0/16 | grep -q via || fail "VNet4's router has no route to VNet5"
ok network vpn-connection delete -g TestRG4 -n VNet4ToVNet5
ok network vpn-connection delete -g TestRG5 -n VNet5ToVNet4
wait_gone network vpn-connection show -g TestRG4 -n VNet4ToVNet5
wait_gone network vpn-connection show -g TestRG5 -n VNet5ToVNet4
wait_for 10 bash -c "! ip -n '$r4' route show 10.51.0.0/16 | grep -q ." || fail "the route to VNet5 outlived its connection"
if ip netns exec "$ns5" ping -c 2 -i 0.2 -W 1 "$vm4" >/dev/null 2>&1; then
  fail "VM5 still reaches VM4 after its connection was deleted"
fi
ip netns exec "$ns1" ping -c 2 -i 0.2 -W 2 "$vm4" >/dev/null || fail "deleting 4<->5 broke 1<->4"
echo "ok: 4 <-> 5 gone (no route, no traffic); 1 <-> 4 untouched"

echo "== deleting everything leaves nothing behind"
# As in Azure, a gateway that a connection names cannot go first: the connections are deleted before
# the groups.
ok network vpn-connection delete -g TestRG1 -n VNet1ToVNet4
ok network vpn-connection delete -g TestRG4 -n VNet4ToVNet1
for rg in TestRG1 TestRG4 TestRG5; do ok group delete -n "$rg" --yes --no-wait; done
for rg in TestRG1 TestRG4 TestRG5; do wait_gone group show -n "$rg"; done
wait_for 20 no_fabric_left || fail "left behind after deleting every group: $(fabric_leftovers)"
echo "PASS: fabric tutorial ($STEPS CLI steps)"
