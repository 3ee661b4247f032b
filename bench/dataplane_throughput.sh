#!/usr/bin/env bash
# Single-stream TCP throughput hostA -> hostB on one topology, the candidates interleaved round by round
# (this shared VM drifts; only shares of the routed path measured in the same run compare):
#   routed      gateways forward in the clear (the ceiling)
#   isthmus     isthmus-dp, AES-256-GCM, TUN offloads + UDP GSO/GRO + coalescing, static keys
#   isthmus-gw  the product: two isthmus-gateway processes from standalone configs, SAs negotiated by
#               IKEv2 (aes256gcm16), the same worker (run when the gateway binary is found)
#   wireguard   wireguard-go (userspace, TUN)
#   strongswan  charon + kernel-libipsec, aes256gcm16, UDP encapsulation
#
#   hostA 10.1.0.10 ─ gwA ═ wan 198.18.0.0/24 ═ gwB ─ hostB 10.2.0.10
#
# Then, per candidate, packets per second with UDP at full rate and 64- and 1400-octet IP packets (one
# iperf3 sender writes a datagram per syscall: the routed figure is that sender's ceiling, not the path's).
# Prints figures; asserts nothing (STYLE.md "Tests"). The issue's target: isthmus >= 30 % of routed and
# >= 8x both peers.
# Usage: bench/dataplane_throughput.sh ISTHMUS_DP [ROUNDS=3] [SECONDS=5]    (root)
# Environment: CANDIDATES="routed isthmus ..." picks and orders candidates; DP_B=ANOTHER_ISTHMUS_DP adds
# candidate isthmus-b (two builds compared in one run); PPS_SECS=0 skips the packets-per-second phase;
# GW=isthmus-gateway (default: the one built beside ISTHMUS_DP); CC=cubic|bbr|reno runs the TCP streams
# with that congestion control (iperf3 -C) instead of the machine's default, which the header names.
set -euo pipefail
DP=$1
DP_B=${DP_B:-}
GW=${GW:-$(cd "$(dirname "$DP")/.." && pwd)/isthmus-gateway/isthmus-gateway}
ROUNDS=${2:-3}
SECS=${3:-5}
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../tests/lib/netns.sh"
source "$here/../tests/lib/strongswan.sh"
[[ $(id -u) -eq 0 ]] || { echo "needs root"; exit 1; }
ns_init
WORK=$(mktemp -d)
ns_on_cleanup "rm -rf $WORK"
ns_topology_two_sites
ns_spawn hostB "$WORK/iperf-server.log" iperf3 -s
sleep 0.5

PIDS=()
cpu_ticks() {  # sum of utime+stime of PIDS
  local t=0 p
  for p in "${PIDS[@]}"; do
    [[ -r /proc/$p/stat ]] && t=$((t + $(awk '{print $14 + $15}' "/proc/$p/stat")))
  done
  echo $t
}
stop_pids() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done; PIDS=(); }

# --- candidates: up / down
routed_up() {
  ns_exec gwA ip route add 10.2.0.0/24 via 198.18.0.3
  ns_exec gwB ip route add 10.1.0.0/24 via 198.18.0.2
}
routed_down() {
  ns_exec gwA ip route del 10.2.0.0/24 via 198.18.0.3
  ns_exec gwB ip route del 10.1.0.0/24 via 198.18.0.2
}

isthmus_up() {  # [BINARY]
  local dp=${1:-$DP}
  local c=(--seed bench --transform aes256gcm --offloads on --mtu 1400)
  ns_spawn gwA "$WORK/dpA.log" "$dp" --tun ist0 --local 198.18.0.2 --peer 198.18.0.3 --local-prefix 10.1.0.0/24 \
    --remote-prefix 10.2.0.0/24 --spi-in 0x1001 --spi-out 0x2001 "${c[@]}"
  PIDS+=("$NS_LAST_PID")
  ns_spawn gwB "$WORK/dpB.log" "$dp" --tun ist0 --local 198.18.0.3 --peer 198.18.0.2 --local-prefix 10.2.0.0/24 \
    --remote-prefix 10.1.0.0/24 --spi-in 0x2001 --spi-out 0x1001 "${c[@]}"
  PIDS+=("$NS_LAST_PID")
  wait_for 10 ns_exec hostA ping -c 1 -W 1 10.2.0.10
}
isthmus_down() { stop_pids; }

gw_state() {  # NAME: the connection's state from the control socket
  "$GW" status --socket "$WORK/$1.sock" 2>/dev/null |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["connections"][0]["state"])' 2>/dev/null || true
}
gw_connected() { [[ $(gw_state "$1") == Connected ]]; }
isthmus_gw_up() {
  gw_config to-b 198.18.0.2 198.18.0.3 10.1.0.0/24 10.2.0.0/24 initiator bench-psk-0123456789 >"$WORK/gwa.json"
  gw_config to-a 198.18.0.3 198.18.0.2 10.2.0.0/24 10.1.0.0/24 responder bench-psk-0123456789 >"$WORK/gwb.json"
  rm -f "$WORK/to-a.sock" "$WORK/to-b.sock"
  ns_spawn gwB "$WORK/gwB.log" "$GW" --config "$WORK/gwb.json"
  PIDS+=("$NS_LAST_PID")
  wait_for 10 test -S "$WORK/to-a.sock"
  ns_spawn gwA "$WORK/gwA.log" "$GW" --config "$WORK/gwa.json"
  PIDS+=("$NS_LAST_PID")
  wait_for 15 gw_connected to-b
  wait_for 10 ns_exec hostA ping -c 1 -W 1 10.2.0.10
}

wg_up() {
  local ka kb
  ka=$(wg genkey); kb=$(wg genkey)
  echo "$ka" >"$WORK/wgA.key"; echo "$kb" >"$WORK/wgB.key"
  local pa pb
  pa=$(echo "$ka" | wg pubkey); pb=$(echo "$kb" | wg pubkey)
  local side ns name key peer_pub ep lan remote
  for side in A B; do
    if [[ $side == A ]]; then ns=gwA name=wgbA key=$WORK/wgA.key peer_pub=$pb ep=198.18.0.3:51821 lan=51820 remote=10.2.0.0/24
    else ns=gwB name=wgbB key=$WORK/wgB.key peer_pub=$pa ep=198.18.0.2:51820 lan=51821 remote=10.1.0.0/24; fi
    ns_spawn $ns "$WORK/$name.log" env WG_PROCESS_FOREGROUND=1 wireguard-go -f $name
    PIDS+=("$NS_LAST_PID")
    wait_for 10 test -S /var/run/wireguard/$name.sock
    ns_exec $ns wg set $name listen-port $lan private-key "$key" peer "$peer_pub" endpoint $ep allowed-ips $remote
    ns_exec $ns ip link set $name up
    ns_exec $ns ip route add $remote dev $name
  done
  wait_for 10 ns_exec hostA ping -c 1 -W 1 10.2.0.10
}
wg_down() { stop_pids; rm -f /var/run/wireguard/wgbA.sock /var/run/wireguard/wgbB.sock; }

sw_conf_for() {  # NAME LOCAL REMOTE LOCAL_TS REMOTE_TS
  cat <<CONF
connections { $1 { version = 2
  local_addrs = $2
  remote_addrs = $3
  encap = yes
  proposals = aes256gcm16-prfsha256-ecp256
  local { auth = psk
          id = $2 }
  remote { auth = psk
           id = $3 }
  children { net { local_ts = $4
                   remote_ts = $5
                   esp_proposals = aes256gcm16 } } } }
secrets { ike-1 { id-1 = $2
                  id-2 = $3
                  secret = "bench-psk-0123456789" } }
CONF
}
strongswan_up() {
  rm -rf "$WORK/swa" "$WORK/swb"; mkdir -p "$WORK/swa" "$WORK/swb"
  sw_start gwA "$WORK/swa"; PIDS+=("$SW_PID")
  sw_start gwB "$WORK/swb"; PIDS+=("$SW_PID")
  sw_conf_for to-b 198.18.0.2 198.18.0.3 10.1.0.0/24 10.2.0.0/24 | sw_conf "$WORK/swa"
  sw_conf_for to-a 198.18.0.3 198.18.0.2 10.2.0.0/24 10.1.0.0/24 | sw_conf "$WORK/swb"
  sw_load gwA "$WORK/swa"
  sw_load gwB "$WORK/swb"
  sw_swanctl gwA "$WORK/swa" --initiate --child net --timeout 10 >/dev/null
  wait_for 10 ns_exec hostA ping -c 1 -W 1 10.2.0.10
}
strongswan_down() { stop_pids; }

# --- one measurement: prints "gbps cpu_s_per_gb"
measure() {
  local out t0 t1 hz
  hz=$(getconf CLK_TCK)
  t0=$(cpu_ticks)
  out=$(ns_exec hostA timeout $((SECS + 15)) iperf3 -c 10.2.0.10 -t "$SECS" ${CC:+-C "$CC"} -J) || {
    echo "0 nan"; return; }
  t1=$(cpu_ticks)
  python3 -c '
import json,sys
j=json.loads(sys.argv[1]); s=j["end"]["sum_received"]
gb=s["bytes"]/1e9; cpu=(int(sys.argv[2])-int(sys.argv[3]))/int(sys.argv[4])
print("%.3f %s" % (s["bits_per_second"]/1e9, ("%.2f" % (cpu/gb)) if int(sys.argv[5]) and gb>0 else "n/a"))' \
    "$out" "$t1" "$t0" "$hz" "${#PIDS[@]}"
}

# --- packets per second: UDP at full rate (iperf3 -b 0), IP packets of SIZE octets; prints received pps
PPS_SECS=${PPS_SECS:-3}
measure_pps() {  # SIZE
  local out
  [[ $PPS_SECS != 0 ]] || { echo 0; return; }
  out=$(ns_exec hostA timeout $((PPS_SECS + 15)) iperf3 -c 10.2.0.10 -u -b 0 -l $(($1 - 28)) -t "$PPS_SECS" -J 2>/dev/null) || {
    echo 0; return; }
  python3 -c '
import json,sys
s=json.loads(sys.argv[1])["end"]["sum"]
print("%.0f" % ((s["packets"] - s["lost_packets"]) / s["seconds"]))' "$out"
}

declare -A R C P64 P1400
default_cands="routed isthmus"
[[ -x $GW ]] && default_cands+=" isthmus-gw"
read -r -a CANDS <<<"${CANDIDATES:-$default_cands wireguard strongswan}"
[[ -z $DP_B ]] || CANDS+=(isthmus-b)
for ((r = 1; r <= ROUNDS; r++)); do
  for c in "${CANDS[@]}"; do
    case $c in
      routed) routed_up ;; isthmus) isthmus_up ;; isthmus-b) isthmus_up "$DP_B" ;; isthmus-gw) isthmus_gw_up ;;
      wireguard) wg_up ;;
      strongswan) strongswan_up ;;
    esac
    read -r g cpu < <(measure)
    R[$c]+="$g "
    C[$c]+="$cpu "
    p64=$(measure_pps 64)
    p1400=$(measure_pps 1400)
    P64[$c]+="$p64 "
    P1400[$c]+="$p1400 "
    echo "round $r  $(printf '%-10s' $c) $g Gbit/s  cpu $cpu s/GB  $p64 pps@64B  $p1400 pps@1400B" >&2
    case $c in
      routed) routed_down ;; isthmus | isthmus-b | isthmus-gw) isthmus_down ;; wireguard) wg_down ;; strongswan) strongswan_down ;;
    esac
    sleep 0.5
  done
done

median() { python3 -c 'import statistics,sys; v=[float(x) for x in sys.argv[1:] if x!="n/a" and x!="nan"]; print("%.3f" % statistics.median(v) if v else "n/a")' "$@"; }
echo
echo "single TCP stream hostA->hostB, $ROUNDS x ${SECS}s interleaved, medians, congestion control ${CC:-$(ns_exec hostA sysctl -n net.ipv4.tcp_congestion_control) (the default)}"
printf '%-12s %10s %10s %14s %14s %14s\n' candidate Gbit/s "of routed" "gw CPU s/GB" "kpps@64B" "kpps@1400B"
routed=$(median ${R[routed]:-})
for c in "${CANDS[@]}"; do
  m=$(median ${R[$c]})
  share=$(python3 -c "import sys; m, r = sys.argv[1:]; print('%.1f %%' % (100 * float(m) / float(r)) if 'n/a' not in (m, r) and float(r) > 0 else 'n/a')" "$m" "$routed")
  printf '%-12s %10s %10s %14s %14.1f %14.1f\n' "$c" "$m" "$share" "$(median ${C[$c]})" \
    "$(python3 -c "print($(median ${P64[$c]})/1000)")" "$(python3 -c "print($(median ${P1400[$c]})/1000)")"
done
echo "(pps: UDP iperf3 -b 0 hostA->hostB, IP packets of 64 / 1400 octets, packets received per second)"
for c in isthmus isthmus-gw; do
  python3 - "$c" "$routed" "$(median ${R[$c]:-})" "$(median ${R[wireguard]:-})" "$(median ${R[strongswan]:-})" <<'PY'
import sys
c = sys.argv[1]
r, i, w, s = (float(x) if x != "n/a" else None for x in sys.argv[2:6])
if i is None: sys.exit(0)
if r: print('%-10s / routed       = %.2f  (target >= 0.30)' % (c, i / r))
if w: print('%-10s / wireguard-go = %.1fx (target >= 8x)' % (c, i / w))
if s: print('%-10s / strongSwan   = %.1fx (target >= 8x)' % (c, i / s))
PY
done
