#!/usr/bin/env bash
# Regions that feel real, live: examples/vnet-to-vnet (VNet1 in eastus, VNet4 in westus, a VM in each) on
# isthmusd's fabric, then the WAN between the two regions impaired from the CLI:
#   1. direct: test-connectivity VM1 -> VM4 a few milliseconds;
#   2. `fabric impairment set --regions eastus westus`: test-connectivity shows Microsoft's 64 ms round
#      trip, the tunnel stays Connected with the same CHILD SAs (the legs moved, nothing renegotiated),
#      `fabric status` shows each gateway's impairer with its egress counters;
#   3. 5 % loss, reordering and duplication: still Connected, TCP carries data (its figure printed);
#   4. an impairer killed with -9 is restarted and traffic flows again;
#   5. cleared: the round trip is direct again, the impairers and their devices are gone;
#   6. restarting isthmusd with an impairment set adopts the running impairers (same pids);
#   7. deleting the group leaves no namespace or process behind.
# Usage: fabric_regions_test.sh ISTHMUS ISTHMUSD SOURCE_DIR   (root; skips with 77 otherwise)
set -euo pipefail
ISTHMUS=$1
ISTHMUSD=$2
SRC=$3
[[ $(id -u) -eq 0 ]] || { echo "SKIP: needs root"; exit 77; }
here=$(dirname "$0")
source "$here/../lib/fabric.sh"
fabric_init
fabric_start_daemon

ping_ok() { ip netns exec "$1" ping -c 2 -i 0.2 -W 2 "$2" >/dev/null; }
avg_ms() {  # avg_ms: avgLatencyInMs of a Reachable check, or fail
  local out
  out=$(q network watcher test-connectivity -g V2V --source-resource VM1 --dest-address "$vm4" --protocol Icmp \
    --query "[connectionStatus, avgLatencyInMs]" | xargs)
  [[ $out == Reachable* ]] || fail "test-connectivity VM1 -> VM4 says: $out"
  echo "${out#Reachable }"
}
impairer_pids() { fabric_query "gateways[].impairer.pid" | xargs; }

echo "== examples/vnet-to-vnet: VNet1 in eastus, VNet4 in westus"
deploy_v2v "$SRC/examples"
vm4=$V2V_IP4
ns1=$V2V_NS1
ns4=$V2V_NS4
ping_ok "$ns1" "$vm4" || fail "VM1 cannot ping VM4"
direct=$(avg_ms)
((direct < 20)) || fail "the direct round trip is already $direct ms"
[[ $(q fabric impairment list --query "length(@)") == 0 ]] || fail "an impairment exists by default"
[[ $(impairer_pids) == "" ]] || fail "impairers run with no impairment set"
echo "ok: direct round trip $direct ms"

echo "== bad input changes nothing"
for args in "--regions eastus" "--regions eastus westus --loss 101" "--regions eastus westus --loss abc" \
  "--regions eastus mars" "--regions eastus eastus"; do
  # shellcheck disable=SC2086
  run fabric impairment set $args
  [[ $RC -ne 0 && -n $ERR ]] || fail "fabric impairment set $args: rc $RC"
done
[[ $(q fabric impairment list --query "length(@)") == 0 ]] || fail "a refused impairment was stored"
echo "ok: refused ($ERR)"

echo "== eastus <-> westus impaired: Microsoft's 64 ms round trip"
spis1=$(gateway_spis V2V VNet1GW)
out=$(q fabric impairment set --regions eastus westus --query "[properties.roundTripMs, properties.roundTripSource]" | xargs)
[[ $out == "64.0 Microsoft P50" || $out == "64 Microsoft P50" ]] || fail "impairment set says: $out"
impaired=""
for _ in $(seq 50); do
  impaired=$(avg_ms)
  ((impaired >= 60)) && break
  sleep 0.2
done
((impaired >= 62 && impaired <= 90)) || fail "the impaired round trip is $impaired ms, not about 64"
[[ $(q network vpn-connection show -g V2V -n VNet1ToVNet4 --query connectionStatus) == Connected ]] ||
  fail "the tunnel went down when its legs moved"
[[ $(gateway_spis V2V VNet1GW) == "$spis1" ]] || fail "impairing the WAN renegotiated the tunnel"
read -r -a pids <<<"$(impairer_pids)"
((${#pids[@]} == 2)) || fail "expected two impairers, fabric status shows: ${pids[*]}"
for p in "${pids[@]}"; do kill -0 "$p" || fail "impairer $p is not running"; done
egress=$(fabric_query "gateways[0].impairer.egress.submitted")
((egress > 0)) || fail "the impairer counted no egress packets"
echo "ok: round trip $impaired ms through the impairers (pids ${pids[*]}), tunnel untouched"

echo "== 5 % loss, reordering and duplication"
ok fabric impairment set --regions westus eastus --loss 5 --reorder 5 --duplicate 5
sleep 1
[[ $(impairer_pids) == "${pids[*]}" ]] || fail "a new profile restarted the impairers"
ip netns exec "$ns4" iperf3 -s -1 -D -p 5201 --logfile "$WORK/iperf-s.log"
sleep 0.3
ip netns exec "$ns1" timeout 30 iperf3 -c "$vm4" -p 5201 -t 3 -J >"$WORK/iperf.json" || fail "TCP under 5 % loss failed"
mbps=$(python3 -c 'import json,sys; print(round(json.load(open(sys.argv[1]))["end"]["sum_received"]["bits_per_second"]/1e6, 1))' "$WORK/iperf.json")
python3 -c 'import sys; sys.exit(0 if float(sys.argv[1]) > 0 else 1)' "$mbps" || fail "TCP carried nothing"
lost=$(fabric_query "gateways[0].impairer.egress.droppedLoss")
[[ $(q network vpn-connection show -g V2V -n VNet1ToVNet4 --query connectionStatus) == Connected ]] ||
  fail "5 % loss took the tunnel down"
echo "ok: Connected; TCP $mbps Mbit/s at 64 ms and 5 % loss each way; impairer dropped $lost"

echo "== an impairer killed with -9 is restarted"
ok fabric impairment set --regions eastus westus
kill -9 "${pids[0]}"
for _ in $(seq 100); do
  read -r -a now <<<"$(impairer_pids)"
  ((${#now[@]} == 2)) && [[ ${now[0]} != 0 && ${now[0]} != "${pids[0]}" ]] && kill -0 "${now[0]}" 2>/dev/null && break
  sleep 0.1
done
[[ ${now[0]} != "${pids[0]}" && ${now[0]} != 0 ]] || fail "the killed impairer was not restarted"
for _ in $(seq 50); do ping_ok "$ns1" "$vm4" && break; sleep 0.2; done
ping_ok "$ns1" "$vm4" || fail "no traffic after the impairer restarted"
echo "ok: restarted as ${now[0]}, traffic again"

echo "== isthmusd restarted: the impairers are adopted"
pids=("${now[@]}")
kill "$DAEMON_PID"
wait "$DAEMON_PID" || true
fabric_start_daemon
sleep 2
[[ $(impairer_pids) == "${pids[*]}" ]] || fail "after a restart the impairers are $(impairer_pids), not ${pids[*]}"
echo "ok: same impairers (${pids[*]})"

echo "== cleared: direct again, nothing of the impairers left"
ok fabric impairment clear --regions westus eastus
ul=$(underlay_ns)
for _ in $(seq 50); do
  [[ -z $(ip -n "$ul" -o link show | grep -E ': (b|t|u)-[0-9a-f]{8}[:@]') ]] && break
  sleep 0.2
done
left=$(ip -n "$ul" -o link show | grep -E ': (b|t|u)-[0-9a-f]{8}[:@]' || true)
[[ -z $left ]] || fail "impairer devices left in the underlay: $left"
# By command line, not kill -0: a stopped impairer is init's child, and this container's init may leave
# it a zombie.
for _ in $(seq 25); do [[ -z $(pgrep -f "$STATE/fabric/imp-") ]] && break; sleep 0.2; done
[[ -z $(pgrep -f "$STATE/fabric/imp-") ]] || fail "impairers still run: $(pgrep -af "$STATE/fabric/imp-")"
for _ in $(seq 50); do ping_ok "$ns1" "$vm4" && break; sleep 0.2; done
after=$(avg_ms)
((after < 20)) || fail "the round trip is still $after ms after clearing"
run fabric impairment clear --regions westus eastus
[[ $RC -eq 0 ]] || fail "clearing twice failed: $ERR"
echo "ok: round trip $after ms"

echo "== deleting the group leaves nothing"
ok fabric impairment set --regions eastus westus
ok group delete -n V2V --yes
for _ in $(seq 150); do no_fabric_left && break; sleep 0.2; done
no_fabric_left || fail "left behind: $(fabric_leftovers)"
echo "PASS: fabric_regions (direct $direct ms, eastus-westus $impaired ms, TCP $mbps Mbit/s at 5 % loss)"
