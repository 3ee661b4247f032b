#!/usr/bin/env bash
# The main job: a live VNet-to-VNet demo on the embedded defaults.
#
# Today it runs the management plane for real — isthmusd with a fresh SQLite store and the isthmus CLI —
# through the resource sequence of Microsoft's "Configure a VNet-to-VNet VPN gateway connection using
# Azure CLI" tutorial, with `az` replaced by `isthmus`. Options: --keep leaves isthmusd running.
set -euo pipefail
cd "$(dirname "$0")/.."
keep=0
[[ "${1:-}" == "--keep" ]] && keep=1

scripts/deps.sh
echo "== building isthmusd and isthmus (release preset)"
cmake --preset release >/dev/null
cmake --build --preset release -j "$(nproc)" --target isthmusd isthmus

bin=$PWD/build/release/apps
state=$(mktemp -d /tmp/isthmus-demo.XXXXXX)
port=7480
while (echo >/dev/tcp/127.0.0.1/$port) 2>/dev/null; do port=$((port + 1)); done
export ISTHMUS_ENDPOINT=http://127.0.0.1:$port ISTHMUS_STATE_DIR=$state ISTHMUS_CONFIG_DIR=$state/cli
"$bin/isthmusd/isthmusd" --state-dir "$state" --listen 127.0.0.1:$port 2>"$state/isthmusd.log" &
daemon=$!
cleanup() {
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
echo; echo "== demo complete: the resources above live in $state/isthmus.db (SQLite)."
echo "   Run with --keep to leave isthmusd running and explore with the CLI. Realizing the resources as"
echo "   namespaces, gateway processes and an encrypted tunnel comes with the fabric issue."
