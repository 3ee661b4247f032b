#!/usr/bin/env bash
# The single-host fabric under faults, live, through the CLI only (plus the host's own tools to break
# things and to look):
#
#   VNet1 (TestRG1, 10.11.0.0/16, VM1) ── VNet1GW ══ underlay ══ VNet4GW ── VNet4 (TestRG4, 10.41.0.0/16, VM4)
#                                            ╚═══ underlay ═══ strongSwan "OnPrem" (10.200.0.0/24), site-to-site
#
#   1. different shared keys → NotConnected, `network watcher troubleshooting start` says Authentication;
#      the key fixed with `shared-key update` → Connected, ping; `list-ike-sas` shows the SPIs;
#      `network watcher test-connectivity` from VM1: Reachable by ICMP, Unreachable on a closed port.
#   2. a real Prometheus scrapes /metrics: the connection's byte counter is there and grows with traffic.
#   3. kill -9 of a gateway process → restarted, Connected, traffic again.
#   4. a gateway namespace deleted by hand → recreated, Connected, traffic again.
#   5. `vnet-gateway reset` → the same public IP, Connected again.
#   6. strongSwan attached to the underlay (docs/fabric.md) behind a local network gateway: the IPsec
#      connection comes up and carries traffic both ways.
#   7. deleting everything leaves no namespace or process behind.
#
# Usage: fabric_faults_test.sh ISTHMUS ISTHMUSD   (root; skips with 77 otherwise)
set -euo pipefail
ISTHMUS=$1
ISTHMUSD=$2
[[ $(id -u) -eq 0 ]] || { echo "SKIP: needs root"; exit 77; }
[[ -x /usr/lib/ipsec/charon ]] || { echo "SKIP: strongSwan not installed"; exit 77; }
here=$(dirname "$0")
source "$here/../lib/fabric.sh"
source "$here/../lib/strongswan.sh"
fabric_init
fabric_start_daemon

site() {  # site RG LOCATION VNET N: a VNet 10.N1.0.0/16 with FrontEnd, GatewaySubnet, a gateway and a VM
  local rg=$1 loc=$2 vnet=$3 n=$4
  ok group create -n "$rg" -l "$loc"
  ok network vnet create -n "$vnet" -g "$rg" --address-prefix "10.${n}1.0.0/16" --subnet-name FrontEnd \
    --subnet-prefix "10.${n}1.0.0/24"
  ok network vnet subnet create --vnet-name "$vnet" -n GatewaySubnet -g "$rg" --address-prefix "10.${n}1.255.0/27"
  ok network public-ip create -n "${vnet}GWIP" -g "$rg"
  ok network vnet-gateway create -n "${vnet}GW" --public-ip-address "${vnet}GWIP" -g "$rg" --vnet "$vnet" --no-wait
  ok vm create -g "$rg" -n "VM$n" --vnet-name "$vnet" --subnet FrontEnd --no-wait
}
ping_ok() { ip netns exec "$1" ping -c 2 -i 0.2 -W 2 "$2" >/dev/null; }
troubleshoot() {  # troubleshoot RG CONNECTION: the first fault id
  q network watcher troubleshooting start -g "$1" --resource "$2" --resource-type vpnConnection \
    --query "results[0].id"
}

echo "== two sites"
site TestRG1 eastus VNet1 1
site TestRG4 westus VNet4 4
wait_state Succeeded network vnet-gateway show -g TestRG1 -n VNet1GW
wait_state Succeeded network vnet-gateway show -g TestRG4 -n VNet4GW
wait_state Succeeded vm show -g TestRG1 -n VM1
wait_state Succeeded vm show -g TestRG4 -n VM4
gw1=$(q network vnet-gateway show -n VNet1GW -g TestRG1 --query id)
gw4=$(q network vnet-gateway show -n VNet4GW -g TestRG4 --query id)
ns1=$(vm_ns TestRG1 VM1)
ns4=$(vm_ns TestRG4 VM4)
vm1=10.11.0.4
vm4=10.41.0.4

echo "== 1. different keys: NotConnected, Authentication; the fixed key: Connected"
ok network vpn-connection create -n VNet1ToVNet4 -g TestRG1 --vnet-gateway1 VNet1GW --shared-key "$KEY" \
  --vnet-gateway2 "$gw4"
ok network vpn-connection create -n VNet4ToVNet1 -g TestRG4 --vnet-gateway1 VNet4GW --shared-key "${KEY}x" \
  --vnet-gateway2 "$gw1"
wait_status NotConnected TestRG1 VNet1ToVNet4 30
fault=$(troubleshoot TestRG1 VNet1ToVNet4)
[[ $fault == Authentication ]] || fail "troubleshooting says '$fault', not Authentication, for different keys"
code=$(q network watcher troubleshooting start -g TestRG1 --resource VNet1ToVNet4 --resource-type vpnConnection \
  --query code)
[[ $code == UnHealthy ]] || fail "troubleshooting code is '$code' for a connection that is down"
if ping_ok "$ns1" "$vm4"; then fail "VM1 reached VM4 with mismatched keys"; fi
ok network vpn-connection shared-key update -g TestRG4 --connection-name VNet4ToVNet1 --value "$KEY"
wait_status Connected TestRG1 VNet1ToVNet4 30
wait_status Connected TestRG4 VNet4ToVNet1 10
ping_ok "$ns1" "$vm4" || fail "VM1 cannot ping VM4 once the keys match"
fault=$(troubleshoot TestRG1 VNet1ToVNet4)
[[ $fault == NoFault ]] || fail "troubleshooting says '$fault' for a connected connection"
# Network Watcher's connectivity check from inside VM1, as az shapes it.
reach=$(q network watcher test-connectivity -g TestRG1 --source-resource VM1 --dest-address "$vm4" --protocol Icmp \
  --query "[connectionStatus, probesSent, probesFailed, length(hops), hops[-1].type]" | xargs)
[[ $reach == "Reachable 10 0 5 VirtualMachine" ]] || fail "test-connectivity ICMP VM1 -> VM4 says: $reach"
closed=$(q network watcher test-connectivity -g TestRG1 --source-resource VM1 --dest-address "$vm4" --dest-port 5999 \
  --query connectionStatus)
[[ $closed == Unreachable ]] || fail "test-connectivity to a closed TCP port says $closed"
in_spi=$(q network vpn-connection list-ike-sas -g TestRG1 -n VNet1ToVNet4 --query "[0].quickModeSa[0].inboundSpi")
spis=$(gateway_spis TestRG1 VNet1GW)
[[ -n $in_spi && " ${spis//\// } " == *" $(printf '%08x' "$in_spi") "* ]] ||
  fail "list-ike-sas inboundSpi $in_spi is not one of the gateway's SPIs ($spis)"
echo "ok: Authentication while the keys differ; Connected and NoFault once fixed; list-ike-sas SPI $in_spi; test-connectivity Reachable/Unreachable"

echo "== 2. a real Prometheus scrapes /metrics"
source "$here/prometheus_scrape.sh"
prom_start "$ISTHMUS_ENDPOINT" "$STATE/token" "$STATE/tls/ca.pem" || fail "prometheus could not scrape $ISTHMUS_ENDPOINT/metrics"
series='isthmus_connection_ingress_bytes_total{connection="VNet1ToVNet4",resource_group="TestRG1"}'
before=$(prom_value "$series") || fail "prometheus has no $series"
ip netns exec "$ns1" ping -c 20 -i 0.05 -s 1000 -W 2 "$vm4" >/dev/null || fail "ping for the counter failed"
grew=""
for _ in $(seq 40); do
  after=$(prom_value "$series")
  if python3 -c 'import sys; sys.exit(0 if float(sys.argv[2]) >= float(sys.argv[1]) + 20000 else 1)' \
    "$before" "$after"; then
    grew=1
    break
  fi
  sleep 0.25
done
[[ -n $grew ]] || fail "the scraped ingress counter did not grow with traffic: $before -> $after"
up=$(prom_value 'isthmus_connection_up{connection="VNet1ToVNet4",resource_group="TestRG1"}')
[[ $up == 1 ]] || fail "isthmus_connection_up is $up for a connected connection"
prom_stop
echo "ok: Prometheus scraped ingress bytes $before -> $after"

echo "== 3. kill -9 of a gateway: restarted and Connected again"
pid=$(gateway_pid TestRG4 VNet4GW)
((pid > 0)) || fail "no pid for VNet4GW"
kill -9 "$pid"
wait_for 20 bash -c "p=\$('$ISTHMUS' fabric status --query \"gateways[?running].pid\" -o tsv | tr '\n' ' '); [[ \$p != *'$pid'* ]]" ||
  fail "VNet4GW was not restarted"
wait_status Connected TestRG4 VNet4ToVNet1 30
wait_for 15 ping_ok "$ns1" "$vm4" || fail "no traffic after the gateway was restarted"
echo "ok: pid $pid killed, $(gateway_pid TestRG4 VNet4GW) runs, traffic flows"

echo "== 4. a gateway namespace deleted by hand: recreated"
gns=$(gateway_ns TestRG1 VNet1GW)
ip netns del "$gns"
wait_for 20 test -e "/run/netns/$gns" || fail "the namespace $gns was not recreated"
wait_status Connected TestRG1 VNet1ToVNet4 30
wait_for 15 ping_ok "$ns1" "$vm4" || fail "no traffic after the gateway namespace was recreated"
echo "ok: $gns recreated, Connected, traffic flows"

echo "== 5. vnet-gateway reset keeps the public IP; the tunnel comes back"
ip_before=$(q network public-ip show -g TestRG1 -n VNet1GWIP --query ipAddress)
pid=$(gateway_pid TestRG1 VNet1GW)
ok network vnet-gateway reset -g TestRG1 -n VNet1GW
wait_state Succeeded network vnet-gateway show -g TestRG1 -n VNet1GW
[[ $(gateway_pid TestRG1 VNet1GW) != "$pid" ]] || fail "reset did not restart the gateway (pid $pid)"
ip_after=$(q network public-ip show -g TestRG1 -n VNet1GWIP --query ipAddress)
[[ $ip_before == "$ip_after" ]] || fail "reset changed the public IP: $ip_before -> $ip_after"
wait_status Connected TestRG1 VNet1ToVNet4 30
wait_for 15 ping_ok "$ns1" "$vm4" || fail "no traffic after the reset"
echo "ok: reset on $ip_after, Connected again"

echo "== 6. site-to-site to strongSwan attached to the underlay"
peer=198.19.255.250
ok network local-gateway create -g TestRG1 -n OnPrem --gateway-ip-address "$peer" --local-address-prefixes 10.200.0.0/24
ok network vpn-connection create -n VNet1ToOnPrem -g TestRG1 --vnet-gateway1 VNet1GW --local-gateway2 OnPrem \
  --shared-key "$KEY"
onprem_peer "$peer" "$(q network public-ip show -g TestRG1 -n VNet1GWIP --query ipAddress)" 10.11.0.0/16
swns=$SWNS
wait_status Connected TestRG1 VNet1ToOnPrem 30
wait_for 10 bash -c "ip netns exec '$swns' swanctl --list-sas --uri unix://$WORK/sw/charon.vici | grep -q INSTALLED" ||
  fail "strongSwan has no installed CHILD SA"
wait_for 10 ip netns exec "$swns" ping -c 1 -W 1 -I 10.200.0.1 "$vm1" || fail "strongSwan's side cannot ping VM1"
run_on TestRG1 VM1 "ping -c 2 -W 2 10.200.0.1" | grep -q "2 received" || fail "VM1 cannot ping the on-premises side"
ping_ok "$ns1" "$vm4" || fail "the site-to-site connection broke VNet1 <-> VNet4"
echo "ok: IPsec to strongSwan carries traffic both ways"
kill "$SW_PID" 2>/dev/null || true
wait "$SW_PID" 2>/dev/null || true
ip netns del "$swns"

echo "== 7. deleting everything leaves nothing behind"
for c in "TestRG1 VNet1ToVNet4" "TestRG4 VNet4ToVNet1" "TestRG1 VNet1ToOnPrem"; do
  set -- $c
  ok network vpn-connection delete -g "$1" -n "$2"
done
for rg in TestRG1 TestRG4; do ok group delete -n "$rg" --yes --no-wait; done
for rg in TestRG1 TestRG4; do wait_gone group show -n "$rg"; done
wait_for 20 no_fabric_left || fail "left behind after deleting every group: $(fabric_leftovers)"
echo "PASS: fabric faults ($STEPS CLI steps)"
