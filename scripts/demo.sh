#!/usr/bin/env bash
# The main job: a live VNet-to-VNet demo on the embedded defaults.
#
# Part 1 runs the management plane for real — isthmusd with a fresh SQLite store and the isthmus CLI —
# through the resource sequence of Microsoft's "Configure a VNet-to-VNet VPN gateway connection using
# Azure CLI" tutorial, with `az` replaced by `isthmus`.
# Part 2 realizes the two VNets and their gateways by hand (the fabric that will do it from isthmusd is
# not built yet): network namespaces for a VM in each FrontEnd subnet and for each gateway, two
# isthmus-gateway processes configured from the resources above (public IPs, address spaces, shared
# key), an IKEv2 SA and ESP tunnel between them, and a ping from VM1 to VM4 through it.
# Options: --keep leaves isthmusd running. Needs root (namespaces).
set -euo pipefail
cd "$(dirname "$0")/.."
keep=0
[[ "${1:-}" == "--keep" ]] && keep=1

scripts/deps.sh
echo "== building isthmusd and isthmus (release preset)"
cmake --preset release >/dev/null
cmake --build --preset release -j "$(nproc)" --target isthmusd isthmus isthmus-gateway

bin=$PWD/build/release/apps
state=$(mktemp -d /tmp/isthmus-demo.XXXXXX)
port=7480
while (echo >/dev/tcp/127.0.0.1/$port) 2>/dev/null; do port=$((port + 1)); done
export ISTHMUS_ENDPOINT=http://127.0.0.1:$port ISTHMUS_STATE_DIR=$state ISTHMUS_CONFIG_DIR=$state/cli
"$bin/isthmusd/isthmusd" --fabric none --state-dir "$state" --listen 127.0.0.1:$port 2>"$state/isthmusd.log" &
daemon=$!
cleanup() {
  if [[ -n "${NS_PREFIX:-}" ]]; then demo_ns_cleanup; fi
  if ((keep)); then
    echo "isthmusd keeps running (pid $daemon); export ISTHMUS_ENDPOINT=$ISTHMUS_ENDPOINT ISTHMUS_STATE_DIR=$state"
  else
    kill "$daemon" 2>/dev/null || true
    wait "$daemon" 2>/dev/null || true
    rm -rf "$state"
  fi
}
trap cleanup EXIT
for _ in $(seq 100); do [[ -s $state/token ]] && (echo >/dev/tcp/127.0.0.1/$port) 2>/dev/null && break; sleep 0.1; done

isthmus() { "$bin/isthmus/isthmus" "$@"; }
step() { printf '\n\033[1m$ isthmus %s\033[0m\n' "$*"; isthmus "$@"; }

echo "== isthmusd is up on $ISTHMUS_ENDPOINT (state in $state)"
step account show -o table
sub=$(isthmus account show --query id -o tsv)

# Values from the tutorial: TestVNet1 in TestRG1 (East US), TestVNet4 in TestRG4 (West US).
step group create -n TestRG1 -l eastus -o table
step network vnet create -n VNet1 -g TestRG1 -l eastus --address-prefixes 10.11.0.0/16 10.12.0.0/16 \
  --subnet-name FrontEnd --subnet-prefixes 10.11.0.0/24 -o none
step network vnet subnet create --vnet-name VNet1 -n BackEnd -g TestRG1 --address-prefixes 10.12.0.0/24 -o none
step network vnet subnet create --vnet-name VNet1 -n GatewaySubnet -g TestRG1 --address-prefixes 10.12.255.0/27 -o none
step network public-ip create -n VNet1GWIP -g TestRG1 -l eastus -o none
step network vnet-gateway create -n VNet1GW -l eastus --public-ip-address VNet1GWIP -g TestRG1 --vnet VNet1 \
  --gateway-type Vpn --sku VpnGw1 --vpn-type RouteBased --no-wait

step group create -n TestRG4 -l westus -o table
step network vnet create -n VNet4 -g TestRG4 -l westus --address-prefixes 10.41.0.0/16 10.42.0.0/16 \
  --subnet-name FrontEnd --subnet-prefixes 10.41.0.0/24 -o none
step network vnet subnet create --vnet-name VNet4 -n BackEnd -g TestRG4 --address-prefixes 10.42.0.0/24 -o none
step network vnet subnet create --vnet-name VNet4 -n GatewaySubnet -g TestRG4 --address-prefixes 10.42.255.0/27 -o none
step network public-ip create -n VNet4GWIP -g TestRG4 -l westus -o none
step network vnet-gateway create -n VNet4GW -l westus --public-ip-address VNet4GWIP -g TestRG4 --vnet VNet4 \
  --gateway-type Vpn --sku VpnGw1 --vpn-type RouteBased --no-wait

echo; echo "== waiting for both gateways to be provisioned"
for gw in "TestRG1 VNet1GW" "TestRG4 VNet4GW"; do
  set -- $gw
  for _ in $(seq 100); do
    [[ $(isthmus network vnet-gateway show -g "$1" -n "$2" --query provisioningState -o tsv) == Succeeded ]] && break
    sleep 0.1
  done
done
step network vnet-gateway list -g TestRG1 -o table
vnet1gw=$(isthmus network vnet-gateway show -n VNet1GW -g TestRG1 --query id -o tsv)
vnet4gw=$(isthmus network vnet-gateway show -n VNet4GW -g TestRG4 --query id -o tsv)

step network vpn-connection create -n VNet1ToVNet4 -g TestRG1 --vnet-gateway1 "$vnet1gw" -l eastus \
  --shared-key "aabbcc" --vnet-gateway2 "$vnet4gw" -o none
step network vpn-connection create -n VNet4ToVNet1 -g TestRG4 --vnet-gateway1 "$vnet4gw" -l westus \
  --shared-key "aabbcc" --vnet-gateway2 "$vnet1gw" -o none
step network vpn-connection show -n VNet1ToVNet4 -g TestRG1 \
  --query "{name:name, state:provisioningState, status:connectionStatus, protocol:connectionProtocol, dpd:dpdTimeoutSeconds}" -o table
step network vpn-connection shared-key show -g TestRG1 --connection-name VNet1ToVNet4
step network public-ip list --query "[].{name:name, address:ipAddress}" -o table

echo; echo "== a third VNet that overlaps VNet1 cannot be connected to it:"
isthmus group create -n TestRG5 -l eastus -o none
isthmus network vnet create -n VNet5 -g TestRG5 --address-prefixes 10.12.0.0/16 --subnet-name GatewaySubnet \
  --subnet-prefixes 10.12.255.0/27 -o none
isthmus network public-ip create -n VNet5GWIP -g TestRG5 -o none
isthmus network vnet-gateway create -n VNet5GW --public-ip-address VNet5GWIP -g TestRG5 --vnet VNet5 -o none
vnet5gw=$(isthmus network vnet-gateway show -n VNet5GW -g TestRG5 --query id -o tsv)
printf '\033[1m$ isthmus network vpn-connection create -n VNet1ToVNet5 -g TestRG1 --vnet-gateway1 VNet1GW --vnet-gateway2 %s --shared-key aabbcc\033[0m\n' "$vnet5gw"
if isthmus network vpn-connection create -n VNet1ToVNet5 -g TestRG1 --vnet-gateway1 VNet1GW \
     --vnet-gateway2 "$vnet5gw" --shared-key aabbcc; then
  echo "demo: the overlapping connection was accepted — that is a bug" >&2
  exit 1
fi

echo; echo "== part 2: realize VNet1 and VNet4 and bring the tunnel up"
source tests/lib/netns.sh
demo_ns_cleanup() { (ns_cleanup) || true; }  # a subshell: ns_cleanup ends with `exit`
ns_init
trap cleanup EXIT  # replaces ns_init's trap; ours calls it
q() { isthmus "$@" -o tsv; }
ip1=$(q network public-ip show -g TestRG1 -n VNet1GWIP --query ipAddress)
ip4=$(q network public-ip show -g TestRG4 -n VNet4GWIP --query ipAddress)
space1=$(isthmus network vnet show -g TestRG1 -n VNet1 --query addressSpace.addressPrefixes -o json | tr -d '\n ')
space4=$(isthmus network vnet show -g TestRG4 -n VNet4 --query addressSpace.addressPrefixes -o json | tr -d '\n ')
key=$(q network vpn-connection shared-key show -g TestRG1 --connection-name VNet1ToVNet4 --query value)
echo "VNet1GW $ip1 protects $space1; VNet4GW $ip4 protects $space4"

# vm1 (FrontEnd of VNet1) ─ gw1 ═ internet ═ gw4 ─ vm4 (FrontEnd of VNet4); .1 of a subnet is its router.
for n in vm1 gw1 gw4 vm4; do ns_add $n; done
ns_veth vm1 eth0 10.11.0.4/24 gw1 lan0 10.11.0.1/24
ns_veth gw1 wan0 "$ip1/24" gw4 wan0 "$ip4/24"
ns_veth gw4 lan0 10.41.0.1/24 vm4 eth0 10.41.0.4/24
ns_exec vm1 ip route add default via 10.11.0.1
ns_exec vm4 ip route add default via 10.41.0.1
ns_forwarding gw1
ns_forwarding gw4
gwconf() {  # NAME LOCAL REMOTE LOCAL_SPACE REMOTE_SPACE MODE
  cat <<JSON
{ "local": {"address": "$2", "id": "$2"},
  "tunnel": {"interface": "isth0", "mtu": 1400, "mss_clamp": 1350},
  "control_socket": "$state/$1.sock",
  "connections": [ { "name": "$1", "remote_address": "$3", "remote_id": "$3", "shared_key": "$key",
      "local_prefixes": $4, "remote_prefixes": $5, "mode": "$6", "dpd_timeout_s": 45 } ] }
JSON
}
gwconf VNet1ToVNet4 "$ip1" "$ip4" "$space1" "$space4" initiator >"$state/gw1.json"
gwconf VNet4ToVNet1 "$ip4" "$ip1" "$space4" "$space1" responder >"$state/gw4.json"
chmod 600 "$state"/gw*.json
gw="$bin/isthmus-gateway/isthmus-gateway"
ns_spawn gw4 "$state/gw4.log" "$gw" --config "$state/gw4.json"
wait_for 10 test -S "$state/VNet4ToVNet1.sock"
ns_spawn gw1 "$state/gw1.log" "$gw" --config "$state/gw1.json"
wait_for 10 test -S "$state/VNet1ToVNet4.sock"
connected() {
  "$gw" status --socket "$state/VNet1ToVNet4.sock" |
    python3 -c 'import json,sys; sys.exit(json.load(sys.stdin)["connections"][0]["state"] != "Connected")'
}
if ! wait_for 15 connected; then
  echo "demo: the tunnel did not come up" >&2
  tail -20 "$state/gw1.log" "$state/gw4.log" >&2
  exit 1
fi
ns_exec gw1 tcpdump -i wan0 -n -c 6 udp 2>/dev/null >"$state/wan.txt" &
printf '\n\033[1m$ ping -c 4 10.41.0.4   # from VM1 in VNet1 to VM4 in VNet4\033[0m\n'
ns_exec vm1 ping -c 4 -i 0.3 10.41.0.4
printf '\n\033[1m$ isthmus-gateway status   # on VNet1GW\033[0m\n'
"$gw" status --socket "$state/VNet1ToVNet4.sock" -o table
sleep 0.5
printf '\n\033[1m$ tcpdump on the internet between the gateways\033[0m\n'
cat "$state/wan.txt"
echo; echo "== demo complete: az-style resources in $state/isthmus.db (SQLite), realized as an IKEv2/ESP"
echo "   tunnel between two isthmus-gateway processes. Run with --keep to leave isthmusd running."
echo "   (isthmusd will realize gateways itself once the single-host fabric exists.)"
