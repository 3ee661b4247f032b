#!/usr/bin/env bash
# The main job: a live VNet-to-VNet demo on the embedded defaults, done by isthmusd.
#
# It installs what it needs, builds, starts isthmusd (SQLite store, single-host fabric), and walks
# Microsoft's "Configure a VNet-to-VNet VPN gateway connection using Azure CLI" with `az` replaced by
# `isthmus`: two resource groups in two regions, VNets with two prefixes and FrontEnd/BackEnd/
# GatewaySubnet, public IPs, gateways with --no-wait, both connections by full ID, and a VM in each
# VNet. isthmusd realizes all of it — namespaces, bridges, veths, two isthmus-gateway processes that
# negotiate IKEv2 — and this script only waits for Connected and looks: ping and TCP both ways
# between the VMs, only ESP on the underlay, the connection table.
#
# The system is left running; the last lines say how to use it and how to clean up.
# Needs root (network namespaces). Options: --prefix P (namespace prefix, default isth-).
set -euo pipefail
cd "$(dirname "$0")/.."
prefix=isth-
[[ "${1:-}" == "--prefix" ]] && prefix=$2

scripts/deps.sh
echo "== building (release preset)"
cmake --preset release >/dev/null
cmake --build --preset release -j "$(nproc)" --target isthmusd isthmus isthmus-gateway >/dev/null
bin=$PWD/build/release/apps
started=$SECONDS

state=/var/lib/isthmus-demo
if [[ -d $state ]]; then
  echo "== an earlier demo is still set up: removing it first"
  pkill -f "isthmusd --state-dir $state" 2>/dev/null || true
  "$bin/isthmusd/isthmusd" --cleanup --state-dir "$state" --fabric-prefix "$prefix" >/dev/null || true
  rm -rf "$state"
fi
mkdir -p "$state"
port=7480
while (echo >/dev/tcp/127.0.0.1/$port) 2>/dev/null; do port=$((port + 1)); done
export ISTHMUS_ENDPOINT=https://127.0.0.1:$port ISTHMUS_STATE_DIR=$state ISTHMUS_CONFIG_DIR=$state/cli
nohup "$bin/isthmusd/isthmusd" --state-dir "$state" --listen 127.0.0.1:$port --fabric-prefix "$prefix" \
  >>"$state/isthmusd.log" 2>&1 &
daemon=$!
for _ in $(seq 100); do [[ -s $state/token ]] && (echo >/dev/tcp/127.0.0.1/$port) 2>/dev/null && break; sleep 0.1; done

isthmus() { "$bin/isthmus/isthmus" "$@"; }
step() { printf '\n\033[1m$ isthmus %s\033[0m\n' "$*"; isthmus "$@"; }
q() { isthmus "$@" -o tsv; }
wait_until() {  # wait_until SECONDS WANT CMD...
  local secs=$1 want=$2 got=""
  shift 2
  local deadline=$((SECONDS + secs))
  while ((SECONDS <= deadline)); do
    got=$(isthmus "$@" -o tsv 2>/dev/null || true)
    [[ $got == "$want" ]] && return 0
    sleep 0.2
  done
  echo "demo: '$*' is '$got', not '$want' after $secs s; isthmusd's log: $state/isthmusd.log" >&2
  exit 1
}

echo "== isthmusd is up on $ISTHMUS_ENDPOINT (pid $daemon, state in $state)"
key="Demo$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')"

step group create -n TestRG1 -l eastus -o none
step network vnet create -n VNet1 -g TestRG1 --address-prefix 10.11.0.0/16 -l eastus --subnet-name FrontEnd \
  --subnet-prefix 10.11.0.0/24 -o none
step network vnet update -n VNet1 --address-prefixes 10.11.0.0/16 10.12.0.0/16 -g TestRG1 -o none
step network vnet subnet create --vnet-name VNet1 -n BackEnd -g TestRG1 --address-prefix 10.12.0.0/24 -o none
step network vnet subnet create --vnet-name VNet1 -n GatewaySubnet -g TestRG1 --address-prefix 10.12.255.0/27 -o none
step network public-ip create -n VNet1GWIP -g TestRG1 --allocation-method Dynamic -o none
step network vnet-gateway create -n VNet1GW -l eastus --public-ip-address VNet1GWIP -g TestRG1 --vnet VNet1 \
  --gateway-type Vpn --sku VpnGw1 --vpn-type RouteBased --no-wait

step group create -n TestRG4 -l westus -o none
step network vnet create -n VNet4 -g TestRG4 --address-prefix 10.41.0.0/16 -l westus --subnet-name FrontEnd \
  --subnet-prefix 10.41.0.0/24 -o none
step network vnet update -n VNet4 --address-prefixes 10.41.0.0/16 10.42.0.0/16 -g TestRG4 -o none
step network vnet subnet create --vnet-name VNet4 -n BackEnd -g TestRG4 --address-prefix 10.42.0.0/24 -o none
step network vnet subnet create --vnet-name VNet4 -n GatewaySubnet -g TestRG4 --address-prefix 10.42.255.0/27 -o none
step network public-ip create -n VNet4GWIP -g TestRG4 --allocation-method Dynamic -o none
step network vnet-gateway create -n VNet4GW -l westus --public-ip-address VNet4GWIP -g TestRG4 --vnet VNet4 \
  --gateway-type Vpn --sku VpnGw1 --vpn-type RouteBased --no-wait

step vm create -g TestRG1 -n VM1 --vnet-name VNet1 --subnet FrontEnd --image Ubuntu2204 -o table
step vm create -g TestRG4 -n VM4 --vnet-name VNet4 --subnet FrontEnd --image Ubuntu2204 -o table

echo; echo "== waiting for both gateways (isthmusd starts an isthmus-gateway for each)"
wait_until 30 Succeeded network vnet-gateway show -g TestRG1 -n VNet1GW --query provisioningState
wait_until 30 Succeeded network vnet-gateway show -g TestRG4 -n VNet4GW --query provisioningState
gw1=$(q network vnet-gateway show -n VNet1GW -g TestRG1 --query id)
gw4=$(q network vnet-gateway show -n VNet4GW -g TestRG4 --query id)
step network vpn-connection create -n VNet1ToVNet4 -g TestRG1 --vnet-gateway1 VNet1GW -l eastus \
  --shared-key "$key" --vnet-gateway2 "$gw4" -o none
step network vpn-connection create -n VNet4ToVNet1 -g TestRG4 --vnet-gateway1 VNet4GW -l westus \
  --shared-key "$key" --vnet-gateway2 "$gw1" -o none
echo; echo "== waiting for Connected"
wait_until 30 Connected network vpn-connection show -g TestRG1 -n VNet1ToVNet4 --query connectionStatus
wait_until 10 Connected network vpn-connection show -g TestRG4 -n VNet4ToVNet1 --query connectionStatus
step network vpn-connection list -g TestRG1 -o table

vm1=$(q vm show -g TestRG1 -n VM1 -d --query privateIps)
vm4=$(q vm show -g TestRG4 -n VM4 -d --query privateIps)
vmns() { q fabric status --query "namespaces[?resource=='$(q vm show -g "$1" -n "$2" --query id | tr 'A-Z' 'a-z')'].name | [0]"; }
ns1=$(vmns TestRG1 VM1)
ns4=$(vmns TestRG4 VM4)
ul=$(q fabric status --query "namespaces[?role=='underlay'].name | [0]")

ip netns exec "$ul" timeout 12 tcpdump -i ul0 -n -l -c 2000 2>/dev/null >"$state/underlay.txt" &
dump=$!
printf '\n\033[1m$ isthmus vm run-command invoke -g TestRG1 -n VM1 --command-id RunShellScript --scripts "ping -c 3 %s"\033[0m\n' "$vm4"
isthmus vm run-command invoke -g TestRG1 -n VM1 --command-id RunShellScript --scripts "ping -c 3 -i 0.3 $vm4" \
  --query "value[0].message" -o tsv
printf '\n\033[1m$ ping -c 3 %s   # from VM4 back to VM1\033[0m\n' "$vm1"
ip netns exec "$ns4" ping -c 3 -i 0.3 "$vm1"

echo; echo "== TCP both ways (iperf3, 3 s each)"
ip netns exec "$ns4" iperf3 -s -1 -D -p 5201
ip netns exec "$ns1" iperf3 -s -1 -D -p 5201
sleep 0.3
printf '\033[1m$ iperf3 -c %s   # VM1 -> VM4\033[0m\n' "$vm4"
ip netns exec "$ns1" timeout 20 iperf3 -c "$vm4" -t 3 | tail -4
printf '\033[1m$ iperf3 -c %s   # VM4 -> VM1\033[0m\n' "$vm1"
ip netns exec "$ns4" timeout 20 iperf3 -c "$vm1" -t 3 | tail -4
sleep 0.3
kill "$dump" 2>/dev/null || true
wait "$dump" 2>/dev/null || true
printf '\n\033[1m$ tcpdump -i ul0 on the underlay between the gateways\033[0m\n'
grep -m 4 '\.4500' "$state/underlay.txt" || true
esp=$(grep -c '\.4500.*UDP' "$state/underlay.txt" || true)
other=$(grep -v -E '\.4500[ :]|\.500[ :]|ARP|IP6' "$state/underlay.txt" | grep -c . || true)
echo "   ... $(wc -l <"$state/underlay.txt") packets: $esp ESP in UDP 4500 (plus IKE and ARP), $other of anything else"
if ((other > 0)); then
  echo "demo: traffic other than IKE/ESP on the underlay (see $state/underlay.txt)" >&2
  exit 1
fi

step network vpn-connection show -g TestRG1 -n VNet1ToVNet4 \
  --query "{name:name, status:connectionStatus, ingressBytes:ingressBytesTransferred, egressBytes:egressBytesTransferred}" -o table
step network vpn-connection list-ike-sas -g TestRG1 -n VNet1ToVNet4 \
  --query "[].{local:localEndpoint, remote:remoteEndpoint, encryption:encryption, integrity:integrity, dhGroup:dhGroup, childSAs:length(quickModeSa)}" -o table

cat <<EOF

== demo complete in $((SECONDS - started)) s after the build: everything above was realized by isthmusd.
   isthmusd keeps running (pid $daemon); to use it:
     export ISTHMUS_ENDPOINT=$ISTHMUS_ENDPOINT ISTHMUS_STATE_DIR=$state
     $bin/isthmus/isthmus network vpn-connection list -g TestRG1 -o table
     $bin/isthmus/isthmus fabric status -o table
   To clean up (stops the gateways, deletes every namespace it made, nothing else):
     kill $daemon; $bin/isthmusd/isthmusd --cleanup --state-dir $state --fabric-prefix $prefix && rm -rf $state
EOF
