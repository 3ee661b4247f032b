#!/usr/bin/env bash
# The VNet-to-VNet tunnel over an impaired WAN: examples/vnet-to-vnet (VNet1 eastus, VNet4 westus) on the
# live single-host fabric, then for each profile of the eastus-westus path — direct, Microsoft's 64 ms,
# 64 ms with 1 % and with 5 % loss + reordering + duplication each way — prints:
#   the round trip VM1 -> VM4 (ping, 20 probes) and its loss; TCP VM1 -> VM4 through the tunnel (iperf3,
#   one stream, SECONDS s: Mbit/s and TCP retransmissions); whether the connection stayed Connected the
#   whole time; and the IKE recovery: the tunnel torn down (`vnet-gateway reset` of VNet1GW) and timed
#   until both connections are Connected again, with the IKE retransmissions the gateways counted.
# Figures go to docs/reliability.md. Usage: bench/fabric_impaired.sh [SECONDS=10] [BUILD_DIR=build/release]
# (root; bounded: each step gives up after 60 s; everything it makes is removed at exit, even on failure).
set -euo pipefail
SECS=${1:-10}
BUILD=${2:-build/release}
cd "$(dirname "$0")/.."
[[ $(id -u) -eq 0 ]] || { echo "fabric_impaired: needs root (network namespaces)" >&2; exit 2; }
ISTHMUS=$PWD/$BUILD/apps/isthmus/isthmus
ISTHMUSD=$PWD/$BUILD/apps/isthmusd/isthmusd
GATEWAY=$PWD/$BUILD/apps/isthmus-gateway/isthmus-gateway
for b in "$ISTHMUS" "$ISTHMUSD" "$GATEWAY" "$PWD/$BUILD/apps/isthmus-impair/isthmus-impair"; do
  [[ -x $b ]] || { echo "fabric_impaired: $b is missing: cmake --build --preset release" >&2; exit 2; }
done
source tests/lib/fabric.sh
fabric_init
fabric_start_daemon
now() { date +%s.%N; }

deploy_v2v examples 60
vm4=$V2V_IP4
ns1=$V2V_NS1
ns4=$V2V_NS4

# The IKE retransmissions a gateway counted (its status: requests it sent again, and the peer's it answered
# again from its cache; 0 when the fields are absent).
ike_retransmits() {
  local sock
  sock=$(gateway_socket V2V "$1")
  "$GATEWAY" status --socket "$sock" 2>/dev/null | python3 -c '
import json, sys
d = json.load(sys.stdin)
print(sum(c.get("ike_retransmits", {}).get("sent", 0) + c.get("ike_retransmits", {}).get("answered", 0)
          for c in d.get("connections", [])))' || echo 0
}

# Polls the connection's status every 0.2 s until killed; writes one line per sample.
watch_status() {
  while :; do
    "$ISTHMUS" network vpn-connection show -g V2V -n VNet1ToVNet4 --query connectionStatus -o tsv 2>/dev/null
    sleep 0.2
  done >"$WORK/status.samples"
}

measure() {  # measure LABEL [impairment flags…|none]
  local label=$1
  shift
  if [[ ${1:-} == none ]]; then
    run fabric impairment clear --regions eastus westus
  else
    ok fabric impairment set --regions eastus westus "$@"
  fi
  sleep 1
  watch_status &
  local watcher=$!
  local ping
  ping=$(ip netns exec "$ns1" ping -n -q -c 20 -i 0.1 -W 2 "$vm4" 2>/dev/null | tail -2 | tr '\n' ' ')
  local rtt loss
  loss=$(sed -E 's/.* ([0-9.]+)% packet loss.*/\1/' <<<"$ping")
  rtt=$(sed -E 's/.*= [0-9.]+\/([0-9.]+)\/.*/\1/' <<<"$ping")
  ip netns exec "$ns4" iperf3 -s -1 -D -p 5201 --logfile "$WORK/iperf-s.log"
  sleep 0.3
  local mbps="-" retr="-"
  if ip netns exec "$ns1" timeout $((SECS + 30)) iperf3 -c "$vm4" -p 5201 -t "$SECS" -J >"$WORK/iperf.json"; then
    read -r mbps retr < <(python3 -c '
import json, sys
e = json.load(open(sys.argv[1]))["end"]
print(round(e["sum_received"]["bits_per_second"] / 1e6, 1), e["sum_sent"].get("retransmits", "-"))' "$WORK/iperf.json")
  fi
  kill "$watcher" 2>/dev/null
  wait "$watcher" 2>/dev/null || true
  local samples not
  samples=$(wc -l <"$WORK/status.samples")
  not=$(grep -cv '^Connected$' "$WORK/status.samples" || true)
  # IKE recovery: VNet1GW reset (a new process: its counters start at 0); both connections Connected
  # again. The retransmissions of the new IKE SA: all of VNet1GW's, and what VNet4GW counted meanwhile.
  local before t0 t1 after
  before=$(ike_retransmits VNet4GW)
  t0=$(now)
  ok network vnet-gateway reset -g V2V -n VNet1GW --no-wait
  sleep 0.5
  wait_status Connected V2V VNet1ToVNet4 60
  wait_status Connected V2V VNet4ToVNet1 60
  t1=$(now)
  after=$(($(ike_retransmits VNet1GW) + $(ike_retransmits VNet4GW) - before))
  printf '%-34s rtt %7s ms  ping loss %5s %%  TCP %7s Mbit/s (%s retransmits)  Connected %s/%s samples  reset->Connected %5.1f s (IKE retransmits %s)\n' \
    "$label" "$rtt" "$loss" "$mbps" "$retr" "$((samples - not))" "$samples" "$(echo "$t1 - $t0" | bc)" \
    "$after"
}

echo "fabric_impaired: examples/vnet-to-vnet, TCP $SECS s per profile, $(nproc) cores"
measure "direct" none
measure "64 ms (Microsoft P50)"
measure "64 ms, 1 % loss/reorder/dup" --loss 1 --reorder 1 --duplicate 1
measure "64 ms, 5 % loss/reorder/dup" --loss 5 --reorder 5 --duplicate 5
measure "64 ms, 20 % loss (IKE's worst)" --loss 20
