#!/usr/bin/env bash
# Faults at the gateway level (issue 12, "Faults"), live: isthmus-gateway processes in namespaces that
# reach each other over an emulated WAN — a bridge in a namespace of its own, so that the collision gate
# (gateway_faults_gate.py) and a NAT router can sit on the path (ns_topology_two_sites' direct veth
# between the gateways leaves no room for either).
#
#   hostA 10.1.0.10 ─ gwA ─ wan0 198.18.0.2 ────────────────────┐
#                      └─ nat0 192.168.77.2 ─ natA ─ 198.18.0.4 ─┤
#   hostB 10.2.0.10 ─ gwB ─ wan0 198.18.0.3 ────────────────────┤ wan: bridge br0
#   hostC 10.3.0.10 ─ gwC ─ wan0 198.18.0.12 ───────────────────┤ (the gate sits between gwC's and
#   hostD 10.4.0.10 ─ gwD ─ wan0 198.18.0.13 ───────────────────┘  gwD's ports)
#
# 1. Peer killed: gwA (initiator) and gwB (responder), dpd_timeout_s 10, a ping across; kill -9 of gwB.
#    Checks: gwA reports NotConnected (or Connecting again) with a last_error within dpd_timeout_s + 5 s;
#    then gwB is started again and the tunnel comes back by itself (no control command) within 25 s, ping
#    crossing. Prints both times; on a miss, the IKE requests gwA sent after the kill (its liveness check).
# 2. Both ends initiate at once: mode "both" on each side; 10 rounds of terminate on both at once, then
#    initiate on both at once (control sockets, in parallel), a ping at 20/s across each round.
#    Checks after each round (within 3 s): exactly one IKE SA and one CHILD SA pair on each side, and the
#    same ones (IKE SPIs equal, A's inbound SPI = B's outbound and the reverse); each gateway's log
#    accounts for no other installed CHILD SA; the ping lost at most the round's down time's worth (+3).
#    Then dpd_timeout_s + 2 s with the ping running: no ESP or IKE of any other SA on the wire (an idle
#    duplicate IKE SA would send its liveness check in that time).
# 3. Both rekey at once under load: gwC/gwD with child_lifetime_s 11 and ike_lifetime_s 60 (the JSON's
#    minimum is 60; a rekey starts at hard - hard/10 - random(0, hard/20), and that jitter has no knob in
#    the JSON nor in ike::EngineConfig), and the gate turning every rekey into a simultaneous one (RFC
#    7296 §2.8.1); an iperf3 TCP stream hostC -> hostD across the IKE rekey (>= 30 s). Checks: CHILD
#    (>= 2) and IKE (>= 1) rekeys on both sides; CHILD and IKE collisions resolved (the gateways' logs);
#    after every CHILD SA installation one pair again within 2 s on each side, and a redundant IKE SA
#    deleted within 2 s; one matching pair at the end; no one-second interval of the stream under a
#    tenth of the median; no drop counter above zero anywhere (no packet lost to a deleted SA).
# 4. NAT rebinding: gwA behind natA (nftables masquerade to ports 40000-40099), so ESP goes in UDP 4500
#    with a translated source port; with a ping at 10/s, the masquerade range becomes 41000-41099 and
#    natA's conntrack table is flushed. Checks: gwB follows to the new port (status remote, RFC 7296
#    §2.23) and the ping recovers within dpd_timeout_s + 10 s; prints the time and the pings lost.
# Sections 3 and 4 need nft (nftables): without it they are skipped, and the test exits 77 at the end.
# Every check runs even when an earlier one failed (each section starts its own gateways); the figures
# are printed together at the end, then the failures. Section 3's gateways start before section 4, so
# that their IKE SA ages meanwhile.
# Usage: gateway_faults_test.sh ISTHMUS_GATEWAY   (root; about 130 s)
#   FAULTS_SECTIONS="2 4" runs only those sections; FAULTS_KEEP=DIR copies the logs and captures there.
set -euo pipefail
GW=$1
HERE=$(cd "$(dirname "$0")" && pwd)
GATE="$HERE/gateway_faults_gate.py"
UTIL="$HERE/gateway_faults_util.py"
source "$HERE/../lib/netns.sh"
e2e_init
command -v ping >/dev/null || { echo "SKIP: needs ping (iputils-ping)"; exit 77; }
HAVE_NFT=1
command -v nft >/dev/null || HAVE_NFT=0
SECTIONS=" ${FAULTS_SECTIONS:-1 2 3 4} "

DPD=10            # dpd_timeout_s everywhere (the JSON's minimum is 9)
DETECT_SLACK=5    # 1: detection within dpd_timeout_s + this
RECOVER_BOUND=25  # 1: after the restart (reconnect delay 5 s, an IKE_SA_INIT retransmission 4 s, margin)
ROUNDS=10         # 2
PING_IV=0.05      # 2: the ping's interval
SETTLE=3          # 2: seconds for one pair to remain after a round
CHILD_LIFE=11     # 3: the JSON's minimum is 10; 11 keeps CHILD rekeys out of the IKE rekey's window
IKE_LIFE=60       # 3: the JSON's minimum
GATE_HOLD=3.5     # 3: IKE rekeys of the two sides start < hard/20 = 3 s apart; below the 4 s retransmit
NAT_BOUND=$((DPD + 10))
PSK=e2e-faults-psk-0123456789

# A watchdog under CTest's TIMEOUT (300 s), whose kill would skip the cleanup trap: past the budget the
# test fails by itself, and cleans up.
BUDGET=270
trap 'fail "over the time budget (${BUDGET} s)"' USR1
(
  trap 'kill "$nap" 2>/dev/null; exit 0' TERM
  sleep "$BUDGET" &
  nap=$!
  wait "$nap" && kill -USR1 $$
) &
NS_PIDS+=("$!")

FAILED=()
check_fail() { echo "FAIL: $*"; FAILED+=("$*"); }
want() { [[ $SECTIONS == *" $1 "* ]]; }
# elapsed T0 [T1]: seconds from T0 to T1 (default now), one decimal; EPOCHREALTIME stamps.
elapsed() { awk -v a="$1" -v b="${2:-$EPOCHREALTIME}" 'BEGIN { printf "%.1f", b - a }'; }
le() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a <= b) }'; }

# --- topology ------------------------------------------------------------------------------------------
for n in wan hostA gwA natA gwB hostB hostC gwC gwD hostD; do ns_add "$n"; done
ns_exec wan ip link add br0 type bridge
ns_exec wan ip link set br0 up
WAN_LEGS=0
# wan_leg NS IF ADDR PORT: NS's interface IF (ADDR) on the WAN bridge as port PORT (ns_veth puts an
# address on both ends; a bridge port has none, so the port's goes at once).
wan_leg() {
  WAN_LEGS=$((WAN_LEGS + 1))
  ns_veth "$1" "$2" "$3" wan "$4" "192.0.2.$WAN_LEGS/32"
  ns_exec wan ip addr flush dev "$4"
  ns_exec wan ip link set "$4" master br0
}
# site HOST GW LAN(x.y.z) WAN_ADDR PORT: HOST x.y.z.10 ─ GW x.y.z.1, GW's wan0 on the bridge.
site() {
  ns_veth "$1" eth0 "$3.10/24" "$2" lan0 "$3.1/24"
  ns_exec "$1" ip route add default via "$3.1"
  wan_leg "$2" wan0 "$4/24" "$5"
  ns_forwarding "$2"
}
site hostA gwA 10.1.0 198.18.0.2 pA
site hostB gwB 10.2.0 198.18.0.3 pB
site hostC gwC 10.3.0 198.18.0.12 pC
site hostD gwD 10.4.0 198.18.0.13 pD
ns_veth gwA nat0 192.168.77.2/24 natA in0 192.168.77.1/24
wan_leg natA out0 198.18.0.4/24 pN
ns_forwarding natA

# --- helpers -------------------------------------------------------------------------------------------
status() { "$GW" status --socket "$WORK/$1.sock"; }
# conn SOCK EXPR: EXPR over the connection's status object `c`.
conn() { status "$1" | python3 -c "import json,sys; c=json.load(sys.stdin)['connections'][0]; print($2)"; }
state() { conn "$1" 'c["state"]'; }
connected() { [[ $(state "$1") == Connected ]]; }
notconnected() { [[ $(state "$1") == NotConnected ]]; }
# config FILE NAME LOCAL REMOTE LOCAL_NET REMOTE_NET MODE [PY...]: gw_config's file, dpd_timeout_s $DPD,
# then python statements over the configuration `c` (its connection is `k`).
config() {
  local file=$1
  shift
  gw_config "$1" "$2" "$3" "$4" "$5" "$6" "$PSK" >"$file"
  python3 - "$file" "k['dpd_timeout_s'] = $DPD" "${@:7}" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
k = c["connections"][0]
for stmt in sys.argv[2:]:
    exec(stmt)
json.dump(c, open(sys.argv[1], "w"), indent=1)
PY
}
declare -A PID
# gw_start NS SOCK CONFIG LOG: isthmus-gateway in NS (its pid in PID[NS]), started when SOCK answers.
gw_start() {
  rm -f "$WORK/$2.sock"
  ns_spawn "$1" "$WORK/$4" "$GW" --config "$WORK/$3"
  PID[$1]=$NS_LAST_PID
  wait_for 10 status "$2" || fail "$1 did not start ($4)"
}
# pair_ok SOCK_A SOCK_B LOG_A LOG_B: one IKE SA and one CHILD SA pair on each side, the same ones.
pair_ok() {
  status "$1" >"$WORK/pair-a.json" && status "$2" >"$WORK/pair-b.json" &&
    python3 "$UTIL" pair "$WORK/pair-a.json" "$WORK/pair-b.json" "$WORK/$3" "$WORK/$4"
}
# ping_summary FILE: "transmitted received" from a ping's summary line.
ping_summary() { sed -n 's/^\([0-9]*\) packets transmitted, \([0-9]*\) received.*/\1 \2/p' "$1"; }
# stop_ping PID: SIGINT (ping prints its summary), and wait for it.
stop_ping() { kill -INT "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; }
# on_both VERB: `isthmus-gateway VERB` on gwA and gwB at the same moment (two clients in parallel).
on_both() {
  local a b rc=0
  "$GW" "$1" to-b --socket "$WORK/to-b.sock" &
  a=$!
  "$GW" "$1" to-a --socket "$WORK/to-a.sock" &
  b=$!
  wait "$a" || rc=1
  wait "$b" || rc=1
  return $rc
}
FIG1="" FIG2="" FIG3="" FIG4=""

# --- 1. peer killed --------------------------------------------------------------------------------------
section_peer_killed() {
  echo "=== 1. responder killed with -9: dead-peer detection (dpd_timeout_s $DPD), then recovery by itself"
  config "$WORK/a1.json" to-b 198.18.0.2 198.18.0.3 10.1.0.0/16 10.2.0.0/16 initiator
  config "$WORK/b1.json" to-a 198.18.0.3 198.18.0.2 10.2.0.0/16 10.1.0.0/16 responder
  ns_spawn gwA "$WORK/s1-tcpdump.txt" tcpdump -i wan0 -n -s 0 -U -w "$WORK/s1-ike.pcap" \
    'udp and src host 198.18.0.2 and (port 500 or (port 4500 and udp[8:4] = 0))'
  gw_start gwB to-a b1.json gwB-1.log
  gw_start gwA to-b a1.json gwA-1.log
  wait_for 15 connected to-b || fail "1: gwA not Connected: $(state to-b)"
  wait_for 5 connected to-a || fail "1: gwB not Connected: $(state to-a)"
  ns_exec hostA ping -c 3 -i 0.2 -W 2 10.2.0.10 >/dev/null || fail "1: no ping across before the kill"
  ns_spawn hostA "$WORK/s1-ping.txt" ping -i 0.2 10.2.0.10
  local ping=$NS_LAST_PID t_kill detected="" seen="" t_restart recovery
  sleep 1
  disown "${PID[gwB]}" # no "Killed" notice from bash
  t_kill=$EPOCHREALTIME
  kill -9 "${PID[gwB]}"
  while le "$(elapsed "$t_kill")" $((DPD + DETECT_SLACK)); do
    seen=$(conn to-b 'c["state"] + " | " + c.get("last_error", "")' 2>/dev/null) || seen="(no status)"
    if [[ $seen =~ ^(NotConnected|Connecting)\ \|\ .+ ]]; then
      detected=$(elapsed "$t_kill")
      break
    fi
    sleep 0.2
  done
  if [[ -n $detected ]]; then
    echo "gwA: '$seen' ${detected} s after the kill (dpd_timeout_s $DPD)"
  else
    check_fail "1: gwA still '$seen' $((DPD + DETECT_SLACK)) s after gwB was killed (dpd_timeout_s $DPD)"
    echo "  the IKE requests gwA sent after the kill: $(python3 "$UTIL" ike-sent "$WORK/s1-ike.pcap" "$t_kill")"
  fi
  t_restart=$EPOCHREALTIME
  gw_start gwB to-a b1.json gwB-1b.log
  recovered() { connected to-b && connected to-a && ns_exec hostA ping -c 1 -W 1 10.2.0.10; }
  if wait_for "$RECOVER_BOUND" recovered; then
    recovery=$(elapsed "$t_restart")
    echo "tunnel back by itself ${recovery} s after the restart ($(elapsed "$t_kill") s after the kill)"
  else
    recovery="none within $RECOVER_BOUND"
    check_fail "1: no tunnel $RECOVER_BOUND s after gwB was restarted (gwA: $(state to-b), gwB: $(state to-a))"
  fi
  FIG1="detection ${detected:-none within $((DPD + DETECT_SLACK))} s (dpd_timeout_s $DPD);"
  FIG1+=" recovery ${recovery} s after the restart"
  stop_ping "$ping"
  expect_sigterm_exit "${PID[gwA]}" "${PID[gwB]}"
}

# --- 2. simultaneous initiation --------------------------------------------------------------------------
section_simultaneous_initiation() {
  echo "=== 2. both ends initiate at the same moment, $ROUNDS rounds"
  config "$WORK/a2.json" to-b 198.18.0.2 198.18.0.3 10.1.0.0/16 10.2.0.0/16 both
  config "$WORK/b2.json" to-a 198.18.0.3 198.18.0.2 10.2.0.0/16 10.1.0.0/16 both
  gw_start gwB to-a b2.json gwB-2.log
  gw_start gwA to-b a2.json gwA-2.log # both initiate when they start, too
  local pair=(to-b to-a gwA-2.log gwB-2.log) losses=() dup=0 r ping t0 ok down tx rx lost allowed tcpdump
  wait_for 15 pair_ok "${pair[@]}" || check_fail "2: after both started: $(pair_ok "${pair[@]}")"
  for r in $(seq "$ROUNDS"); do
    ns_spawn hostA "$WORK/s2-ping-$r.txt" ping -i "$PING_IV" 10.2.0.10
    ping=$NS_LAST_PID
    sleep 0.3
    t0=$EPOCHREALTIME
    on_both terminate || check_fail "2.$r: terminate failed"
    wait_for 5 notconnected to-b || check_fail "2.$r: gwA still $(state to-b) after terminate"
    wait_for 5 notconnected to-a || check_fail "2.$r: gwB still $(state to-a) after terminate"
    on_both initiate || check_fail "2.$r: initiate failed"
    ok=1
    wait_for "$SETTLE" pair_ok "${pair[@]}" || ok=0
    down=$(elapsed "$t0")
    sleep 0.5
    stop_ping "$ping"
    read -r tx rx < <(ping_summary "$WORK/s2-ping-$r.txt")
    lost=$((tx - rx))
    losses+=("$lost")
    allowed=$(awk -v d="$down" -v i="$PING_IV" 'BEGIN { printf "%d", d / i + 3 }')
    echo "round $r: down ${down} s, ping lost $lost of $tx (allowed $allowed); $(pair_ok "${pair[@]}" 2>&1)"
    if ((!ok)); then
      dup=$((dup + 1))
      check_fail "2.$r: not one pair of SAs $SETTLE s after the round: $(pair_ok "${pair[@]}")"
    fi
    ((lost <= allowed)) || check_fail "2.$r: ping lost $lost of $tx, more than the ${down} s down time's $allowed"
  done
  echo "--- $((DPD + 2)) s with a ping across: any other SA still alive shows on the wire"
  ns_spawn hostA "$WORK/s2-ping-linger.txt" ping -i 0.2 10.2.0.10
  ping=$NS_LAST_PID
  ns_spawn gwA "$WORK/s2-tcpdump.txt" tcpdump -i wan0 -n -s 64 -U -w "$WORK/s2-linger.pcap" 'udp and port 4500'
  tcpdump=$NS_LAST_PID
  sleep $((DPD + 2))
  kill "$tcpdump" 2>/dev/null || true
  wait "$tcpdump" 2>/dev/null || true
  stop_ping "$ping"
  if pair_ok "${pair[@]}" >/dev/null; then
    local wire
    wire=$(python3 "$UTIL" wire "$WORK/s2-linger.pcap" "$WORK/pair-a.json") ||
      check_fail "2: SAs other than the pair in status still send after the rounds: $wire"
    echo "wire: $wire"
  else
    check_fail "2: at the end: $(pair_ok "${pair[@]}")"
  fi
  FIG2="$ROUNDS rounds, $dup left other than one matching pair of SAs;"
  FIG2+=" ping losses per round: ${losses[*]} (one per ${PING_IV} s)"
  expect_sigterm_exit "${PID[gwA]}" "${PID[gwB]}"
}

# --- 3. simultaneous rekeys under load (gateways and gate started before section 4) ---------------------
start_rekey_pair() {
  ns_spawn wan "$WORK/gate.log" python3 "$GATE" --ports pC pD --hold "$GATE_HOLD" --log "$WORK/gate-events.txt"
  wait_for 10 grep -q ready "$WORK/gate.log" || fail "3: the gate did not start: $(cat "$WORK/gate.log")"
  local life="k['child_lifetime_s'] = $CHILD_LIFE; k['ike_lifetime_s'] = $IKE_LIFE"
  config "$WORK/c3.json" to-d 198.18.0.12 198.18.0.13 10.3.0.0/16 10.4.0.0/16 initiator "$life"
  config "$WORK/d3.json" to-c 198.18.0.13 198.18.0.12 10.4.0.0/16 10.3.0.0/16 responder "$life"
  gw_start gwD to-c d3.json gwD-3.log
  gw_start gwC to-d c3.json gwC-3.log
  wait_for 15 pair_ok to-d to-c gwC-3.log gwD-3.log || fail "3: gwC/gwD: $(pair_ok to-d to-c gwC-3.log gwD-3.log)"
}

section_simultaneous_rekeys() {
  echo "=== 3. both rekey at the same moment (the gate), CHILD ${CHILD_LIFE} s / IKE ${IKE_LIFE} s, under iperf3"
  local age duration side name sock file log child ike drops worst gate_pairs gate_alone
  local child_coll=0 ike_coll=0 rekeys=()
  age=$(conn to-d 'c["ike_sa"].get("established_s", 0)')
  if ((age < 22)); then
    sleep $((22 - age))
    age=22
  fi
  duration=$((IKE_LIFE - age))
  ((duration >= 30)) || duration=30
  ns_spawn hostD "$WORK/iperf-server.log" iperf3 -s
  sleep 0.5
  echo "--- iperf3 hostC -> hostD for ${duration} s from IKE SA age ${age} s"
  ns_exec hostC timeout $((duration + 30)) iperf3 -c 10.4.0.10 -t "$duration" -i 1 -J \
    >"$WORK/s3-iperf.json" 2>"$WORK/s3-iperf.err" || check_fail "3: iperf3 failed: $(cat "$WORK/s3-iperf.err")"
  sleep 2 # the last rekey's deletes
  python3 "$UTIL" iperf "$WORK/s3-iperf.json" $((duration - 2)) || check_fail "3: the stream stalled"
  worst=$(python3 "$UTIL" iperf "$WORK/s3-iperf.json" 0 | sed -n 's/.*lowest \([0-9.]*\).*/\1/p')
  for side in gwC:to-d:s3-c.json:gwC-3.log gwD:to-c:s3-d.json:gwD-3.log; do
    IFS=: read -r name sock file log <<<"$side"
    status "$sock" >"$WORK/$file"
    read -r child ike < <(python3 -c 'import json,sys; c=json.load(open(sys.argv[1]))["connections"][0]
print(c["child_rekeys"], c["ike_rekeys"])' "$WORK/$file")
    rekeys+=("$name $child/$ike")
    child_coll=$((child_coll + $(grep -c "CHILD SA deleted.*redundant after rekey collision" "$WORK/$log" || true)))
    ike_coll=$((ike_coll + $(grep -c "IKE SA deleting (redundant after rekey collision" "$WORK/$log" || true)))
    drops=$(python3 "$UTIL" drops "$WORK/$file") ||
      check_fail "3: $name dropped packets: $drops (unknown_spi: ESP for an SA it had deleted)"
    echo "$name: CHILD rekeys $child, IKE rekeys $ike; drops $drops"
    ((child >= 2 && ike >= 1)) || check_fail "3: $name rekeyed CHILD $child, IKE $ike times (want >= 2, >= 1)"
    python3 "$UTIL" settle "$WORK/$log" 2 >"$WORK/s3-settle.txt" ||
      check_fail "3: $name: $(tail -n +2 "$WORK/s3-settle.txt" | tr -s ' \n' ' ')"
    sed "s/^/$name: /" "$WORK/s3-settle.txt"
  done
  pair_ok to-d to-c gwC-3.log gwD-3.log || check_fail "3: at the end: $(pair_ok to-d to-c gwC-3.log gwD-3.log)"
  gate_pairs=$(grep -c " collision " "$WORK/gate-events.txt" || true)
  gate_alone=$(grep -c " timeout " "$WORK/gate-events.txt" || true)
  echo "gate: $gate_pairs pairs of requests released together, $gate_alone released alone after ${GATE_HOLD} s;" \
    "collisions resolved (the gateways' logs): CHILD $child_coll, IKE $ike_coll"
  ((child_coll >= 1)) || check_fail "3: no CHILD rekey collision was resolved"
  ((ike_coll >= 1)) || check_fail "3: no IKE rekey collision was resolved"
  FIG3="rekeys (CHILD/IKE) ${rekeys[*]}; collisions resolved: CHILD $child_coll, IKE $ike_coll"
  FIG3+=" (gate: $gate_pairs paired, $gate_alone alone); lowest second ${worst} Gbit/s"
}

# --- 4. NAT rebinding ------------------------------------------------------------------------------------
section_nat_rebinding() {
  echo "=== 4. NAT rebinding: gwA behind natA (masquerade), the mapping changes under a ping"
  ns_exec gwA ip link set wan0 down
  ns_exec gwA ip route add 198.18.0.0/24 via 192.168.77.1
  masquerade() { # masquerade PORTS: natA's only NAT rule
    ns_exec natA nft add rule ip nat post oifname out0 ip saddr 192.168.77.0/24 meta l4proto udp masquerade to ":$1"
  }
  ns_exec natA nft add table ip nat
  ns_exec natA nft add chain ip nat post '{ type nat hook postrouting priority 100; policy accept; }'
  masquerade 40000-40099
  config "$WORK/a4.json" to-b 192.168.77.2 198.18.0.3 10.1.0.0/16 10.2.0.0/16 initiator
  config "$WORK/b4.json" to-a 198.18.0.3 198.18.0.4 10.2.0.0/16 10.1.0.0/16 responder "k['remote_id'] = '192.168.77.2'"
  gw_start gwB to-a b4.json gwB-4.log
  gw_start gwA to-b a4.json gwA-4.log
  wait_for 15 connected to-b || fail "4: gwA not Connected through the NAT: $(state to-b)"
  wait_for 5 connected to-a || fail "4: gwB not Connected: $(state to-a)"
  remote_port() { conn to-a 'c["remote"].rsplit("[", 1)[1].rstrip("]")'; }
  local before ping t_rebind fig recovery lost
  before=$(remote_port)
  echo "gwB sees gwA at $(conn to-a 'c["remote"]'), UDP-encapsulated: $(conn to-b 'c["ike_sa"]["udp_encapsulated"]')"
  ((before >= 40000 && before <= 40099)) || check_fail "4: gwB sees gwA's port $before, not a translated one"
  [[ $(conn to-b 'c["ike_sa"]["udp_encapsulated"]') == True ]] || check_fail "4: ESP is not UDP-encapsulated"
  ns_spawn hostA "$WORK/s4-ping.txt" stdbuf -oL ping -D -i 0.1 10.2.0.10
  ping=$NS_LAST_PID
  sleep 2
  t_rebind=$EPOCHREALTIME
  ns_exec natA nft flush chain ip nat post
  masquerade 41000-41099
  ns_exec natA python3 "$UTIL" ct-flush || fail "4: conntrack flush"
  moved() { local p; p=$(remote_port) && ((p >= 41000 && p <= 41099)); }
  replied_since() { awk -v t="$1" -F'[][]' '/bytes from/ && $2 > t { f = 1 } END { exit !f }' "$WORK/s4-ping.txt"; }
  if wait_for "$NAT_BOUND" moved; then
    wait_for 5 replied_since "$EPOCHREALTIME" || check_fail "4: gwB follows the new port, but the ping does not cross"
  else
    check_fail "4: gwB still sends to port $(remote_port) $NAT_BOUND s after the NAT mapping changed"
  fi
  sleep 1
  stop_ping "$ping"
  fig=$(python3 - "$WORK/s4-ping.txt" "$t_rebind" <<'PY'
import re, sys
t0 = float(sys.argv[2])
replies = [(float(m.group(1)), int(m.group(2))) for m in
           re.finditer(r"^\[(\d+\.\d+)\] \d+ bytes from .* icmp_seq=(\d+)", open(sys.argv[1]).read(), re.M)]
seqs = [s for _, s in replies]
lost = seqs[-1] - seqs[0] + 1 - len(set(seqs)) if seqs else 0
# Recovery: the first reply after the gap that follows the change (nothing lost: 0 s).
prev, recovery = None, None
for t, s in replies:
    if t > t0 and prev is not None and s > prev + 1:
        recovery = f"{t - t0:.1f}"
        break
    prev = s
if recovery is None:
    recovery = "0.0" if replies and replies[-1][0] > t0 + 1 else "never"
print(recovery, lost)
PY
  )
  read -r recovery lost <<<"$fig"
  echo "ping recovered ${recovery} s after the mapping changed, $lost lost;" \
    "gwB now sends to $(conn to-a 'c["remote"]')"
  grep -h "peer moved" "$WORK/gwB-4.log" || true
  if [[ $recovery == never ]] || ! le "$recovery" "$NAT_BOUND"; then
    check_fail "4: the ping did not recover within $NAT_BOUND s of the NAT mapping change (recovery: $recovery)"
  fi
  FIG4="recovery ${recovery} s after the mapping changed ($lost pings lost, one per 0.1 s),"
  FIG4+=" gwB's view of gwA's port $before -> $(remote_port)"
  expect_sigterm_exit "${PID[gwA]}" "${PID[gwB]}"
}

# --- run -------------------------------------------------------------------------------------------------
if want 1; then section_peer_killed; fi
if want 2; then section_simultaneous_initiation; fi
if ((HAVE_NFT)); then
  if want 3; then start_rekey_pair; fi
  if want 4; then section_nat_rebinding; fi
  if want 3; then section_simultaneous_rekeys; fi
else
  echo "=== 3, 4: SKIPPED: nft (nftables) is not installed"
fi

if grep -qs "$PSK" "$WORK"/*.log "$WORK"/pair-*.json "$WORK"/s3-[cd].json; then
  check_fail "the shared key appears in a log or a status"
fi
[[ -z ${FAULTS_KEEP:-} ]] || { cp -r "$WORK/." "$FAULTS_KEEP/" && echo "logs kept in $FAULTS_KEEP"; }
echo "=== figures"
echo "1. peer killed: ${FIG1:-not run}"
echo "2. simultaneous initiation: ${FIG2:-not run}"
echo "3. simultaneous rekeys under load: ${FIG3:-not run}"
echo "4. NAT rebinding: ${FIG4:-not run}"
if ((${#FAILED[@]})); then
  fail "${#FAILED[@]} check(s) failed:$(printf '\n  %s' "${FAILED[@]}")"
fi
((HAVE_NFT)) || { echo "SKIP: sections 3 and 4 need nft (nftables)"; exit 77; }
echo "PASS"
