#!/usr/bin/env bash
# The single-host fabric at scale: a hub and N-1 spokes, each VNet with FrontEnd, GatewaySubnet, a
# public IP, a gateway (the hub's on VpnGw4, which allows N-1 tunnels) and a VM; a connection pair
# between the hub and each spoke. From an empty state to every connection Connected and a ping from
# every spoke VM to the hub VM, all through the CLI against a real isthmusd. Prints:
#   time to Succeeded per resource kind (median / last), time to all Connected, the median
#   create→Connected of a connection pair (from the first PUT of the pair to both Connected), isthmusd's RSS and the RSS of idle gateways, and the
#   reconcile pass with nothing to do (live, from isthmusd's own metric, and bench/reconcile_pass with
#   ~1,000 resources over the platform fakes).
# Targets on this 2-core machine: N=50 all Connected < 60 s; pair median < 2 s; idle gateway < 24 MiB;
# a pass with nothing to do < 10 ms.
#
# Usage: bench/fabric_scale.sh [N=50] [BUILD_DIR=build/release]   (root; bounded: gives up after 180 s)
# Everything it makes (namespaces with a per-run prefix, gateways, the state directory) is removed at
# exit, even on failure.
set -euo pipefail
N=${1:-50}
BUILD=${2:-build/release}
cd "$(dirname "$0")/.."
[[ $(id -u) -eq 0 ]] || { echo "fabric_scale: needs root (network namespaces)" >&2; exit 2; }
((N >= 2 && N <= 99)) || { echo "fabric_scale: N must be 2..99" >&2; exit 2; }
ISTHMUS=$PWD/$BUILD/apps/isthmus/isthmus
ISTHMUSD=$PWD/$BUILD/apps/isthmusd/isthmusd
for b in "$ISTHMUS" "$ISTHMUSD" "$PWD/$BUILD/apps/isthmus-gateway/isthmus-gateway"; do
  [[ -x $b ]] || { echo "fabric_scale: $b is missing: cmake --build --preset release" >&2; exit 2; }
done
source tests/lib/fabric.sh
fabric_init
KEY="Scale-$RANDOM$RANDOM"
now() { date +%s.%N; }
CONCURRENCY=4  # CLI calls in flight: the daemon serializes writes anyway

fabric_start_daemon
sub=$(q account show --query id)
rg() { echo "ScaleRG$1"; }
echo "fabric_scale: N=$N VNets (hub + $((N - 1)) spokes), prefix $PREFIX, $(nproc) cores"

expect_resources=$((N * 5 + 2 * (N - 1)))  # vnet, public IP, gateway, NIC, VM per VNet; connections
python3 bench/fabric_watch.py "$ISTHMUS_ENDPOINT" "$STATE/token" "$sub" "$WORK/watch.json" \
  "$expect_resources" $((2 * (N - 1))) 180 &
watcher=$!

site() {  # site I: octet I+10 (the hub is 10.10.0.0/16)
  local i=$1 g
  g=$(rg "$i")
  local o=$((i + 10)) sku=VpnGw1
  ((i == 0)) && sku=VpnGw4
  ok group create -n "$g" -l westus
  ok network vnet create -n "VNet$i" -g "$g" --address-prefix "10.$o.0.0/16" --subnet-name FrontEnd \
    --subnet-prefix "10.$o.0.0/24"
  ok network vnet subnet create --vnet-name "VNet$i" -n GatewaySubnet -g "$g" --address-prefix "10.$o.255.0/27"
  ok network public-ip create -n "GWIP$i" -g "$g"
  ok network vnet-gateway create -n "GW$i" --public-ip-address "GWIP$i" -g "$g" --vnet "VNet$i" --sku "$sku" --no-wait
  ok vm create -g "$g" -n "VM$i" --vnet-name "VNet$i" --subnet FrontEnd --no-wait
}
in_parallel() {  # in_parallel FUNCTION FIRST LAST: FUNCTION i for each i, CONCURRENCY at a time
  local f=$1 i pids=()
  for ((i = $2; i <= $3; i++)); do
    "$f" "$i" &
    pids+=($!)
    if ((${#pids[@]} >= CONCURRENCY)); then
      wait "${pids[0]}" || fail "$f ${i} failed"
      pids=("${pids[@]:1}")
    fi
  done
  for p in "${pids[@]}"; do wait "$p" || fail "$f failed"; done
}

t0=$(now)
in_parallel site 0 $((N - 1))
t_declared=$(now)
# Connections need provisioned gateways (as in Azure).
gw_id() { echo "/subscriptions/$sub/resourceGroups/$(rg "$1")/providers/Microsoft.Network/virtualNetworkGateways/GW$1"; }
for i in $(seq 0 $((N - 1))); do wait_state Succeeded network vnet-gateway show -g "$(rg "$i")" -n "GW$i"; done
pair() {  # pair I: hub <-> spoke I (--no-wait: what is timed is isthmusd, not the CLI's polling)
  local i=$1
  echo "$i $(now)" >>"$WORK/pairs.txt"
  ok network vpn-connection create -n "HubToSpoke$i" -g "$(rg 0)" --vnet-gateway1 GW0 --shared-key "$KEY" \
    --vnet-gateway2 "$(gw_id "$i")" --no-wait
  ok network vpn-connection create -n "Spoke${i}ToHub" -g "$(rg "$i")" --vnet-gateway1 "GW$i" --shared-key "$KEY" \
    --vnet-gateway2 "$(gw_id 0)" --no-wait
}
in_parallel pair 1 $((N - 1))
wait "$watcher" || true
[[ -s $WORK/watch.json ]] || fail "the watcher recorded nothing"

hub_ns=$(vm_ns "$(rg 0)" VM0)
hub_ip=$(q vm show -g "$(rg 0)" -n VM0 -d --query privateIps)
reached=0
for i in $(seq 1 $((N - 1))); do
  ns=$(vm_ns "$(rg "$i")" "VM$i")
  ip netns exec "$ns" ping -c 1 -W 2 "$hub_ip" >/dev/null 2>&1 && reached=$((reached + 1))
done
t_pinged=$(now)

# A pair on an otherwise idle system: five spokes' pairs deleted and created again, one at a time,
# timed from the first PUT to both sides Connected (polled every 20 ms through the CLI).
both_connected() {
  [[ $("$ISTHMUS" network vpn-connection show -g "$(rg 0)" -n "HubToSpoke$1" --query connectionStatus -o tsv 2>/dev/null) == Connected &&
     $("$ISTHMUS" network vpn-connection show -g "$(rg "$1")" -n "Spoke${1}ToHub" --query connectionStatus -o tsv 2>/dev/null) == Connected ]]
}
idle_pairs=""
for i in 1 2 3 4 5; do
  ok network vpn-connection delete -g "$(rg 0)" -n "HubToSpoke$i"
  ok network vpn-connection delete -g "$(rg "$i")" -n "Spoke${i}ToHub"
  sleep 0.5
  t=$(now)
  pair "$i"
  for _ in $(seq 500); do both_connected "$i" && break; sleep 0.02; done
  both_connected "$i" || fail "re-created pair $i did not connect"
  idle_pairs+="$(python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.3f}')" "$t" "$(now)") "
done

# Idle now: RSS and the live reconcile pass.
sleep 3
rss_kib() { awk '/VmRSS/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }
daemon_rss=$(rss_kib "$DAEMON_PID")
gw_rss=""
for p in $(q fabric status --query "gateways[].pid"); do gw_rss+="$(rss_kib "$p") "; done
passes=""
for _ in 1 2 3 4 5; do
  v=$(curl -s --cacert "$STATE/tls/ca.pem" -H "Authorization: Bearer $(cat "$STATE/token")" "$ISTHMUS_ENDPOINT/metrics" |
    awk '/^isthmus_reconcile_last_pass_seconds/ {print $2}')
  passes+="${v:-nan} "
  sleep 1.1
done

python3 - "$WORK/watch.json" "$WORK/pairs.txt" "$t0" "$t_declared" "$t_pinged" "$N" "$reached" \
  "$daemon_rss" "$gw_rss" "$passes" "$idle_pairs" <<'EOF'
import json, statistics, sys
watch = json.load(open(sys.argv[1]))
t0, t_declared, t_pinged = map(float, sys.argv[3:6])
n, reached, daemon_rss = int(sys.argv[6]), int(sys.argv[7]), int(sys.argv[8])
gw_rss = [int(x) for x in sys.argv[9].split()]
passes = [float(x) for x in sys.argv[10].split() if x != "nan"]
kinds = {}
for rid, t in watch["succeeded"].items():
    kind = rid.split("/providers/")[1].split("/")[1]
    kinds.setdefault(kind, []).append(t - t0)
print(f"declared {n} VNets ({sum(len(v) for v in kinds.values())} provisioned resources) in {t_declared - t0:.1f} s of CLI calls")
print("time to Succeeded from the first call, per kind (median / last):")
for kind in sorted(kinds):
    v = kinds[kind]
    print(f"  {kind:24s} {len(v):4d}  {statistics.median(v):6.2f} s / {max(v):6.2f} s")
conn = watch["connected"]
want = 2 * (n - 1)
print(f"connections Connected: {len(conn)} of {want}", end="")
if conn:
    print(f"; all Connected {max(conn.values()) - t0:.1f} s after the first call (target < 60 s for N=50)")
else:
    print()
pairs = {}
for line in open(sys.argv[2]):
    i, t = line.split()
    pairs[int(i)] = float(t)
lat = []
for i, t in pairs.items():
    a = [v for k, v in conn.items() if k.endswith(f"/connections/hubtospoke{i}")]
    b = [v for k, v in conn.items() if k.endswith(f"/connections/spoke{i}tohub")]
    if a and b:
        lat.append(max(a[0], b[0]) - t)
if lat:
    print(f"pair create->Connected, all {len(lat)} pairs created at once: median {statistics.median(lat):.2f} s, max {max(lat):.2f} s")
idle = [float(x) for x in sys.argv[11].split()]
if idle:
    print(f"pair create->Connected on an idle system, one at a time: median {statistics.median(idle):.2f} s "
          f"(min {min(idle):.2f}, max {max(idle):.2f}, {len(idle)} pairs; target median < 2 s)")
print(f"spoke VMs that pinged the hub VM: {reached} of {n - 1} ({t_pinged - t0:.1f} s after the first call)")
print(f"RSS: isthmusd {daemon_rss / 1024:.1f} MiB; gateways median {statistics.median(gw_rss) / 1024:.1f} MiB, "
      f"max {max(gw_rss) / 1024:.1f} MiB (the hub's, {want // 2} tunnels) over {len(gw_rss)} (target idle < 24 MiB)")
if passes:
    print(f"live reconcile pass, idle ({sum(len(v) for v in kinds.values())} resources, real netlink): "
          f"median {statistics.median(passes) * 1000:.2f} ms of {len(passes)} samples")
EOF
if [[ -x $BUILD/bench/reconcile_pass ]]; then
  "$BUILD/bench/reconcile_pass" 1000 200
fi
echo "fabric_scale: cleaning up"
