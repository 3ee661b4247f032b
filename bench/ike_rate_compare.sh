#!/usr/bin/env bash
# IKE SA establishment rate (IKE_SA_INIT + IKE_AUTH + first CHILD SA), side by side from one run:
#   engine      two ike::Engines in one process, datagrams handed over in memory (bench/ike_rate)
#   isthmus     two isthmus-gateway processes, each in its own namespace, over UDP on a veth pair
#   strongswan  two charons (kernel-libipsec) in the same two namespaces over the same veth pair
#
#   gwA 198.18.0.2 ═ veth ═ gwB 198.18.0.3    N connections, distinct IDs and keys, all on UDP 4500
#
# Like for like: both gateways have their N connections loaded before the clock starts, then are asked
# to initiate all N at once (`isthmus-gateway initiate --all`; for charon, N VICI `initiate` requests
# with timeout -1 pipelined on one socket, bench/vici_initiate.py). The clock runs from the initiator's
# first "initiating" log line (so neither trigger's own latency counts) to the timestamp of
# the initiator's last "CHILD SA installed" / "IKE_SA … established" log line (ms resolution; charon at log
# level 0 names only the IKE SA, but installs the first CHILD SA while processing the same IKE_AUTH
# response, so the two mark the same moment). CPU is
# utime+stime of both daemons from just before the trigger to completion. DoS limits are lifted on both responders (charon:
# cookie_threshold/block_threshold/init_limit_half_open, tests/lib/strongswan.sh; isthmus: "ike"
# {cookie_threshold, max_half_open}); charon logs at level 0, isthmus at info (one line per state change).
# veth rather than lo because two charons cannot share one namespace; it is the same in-kernel path.
#
# The key-exchange limit: each SA costs each side one keypair + one shared secret ("KE pair", measured by
# bench/ike_rate on one core); two daemons on this machine's cores can do at most cores × KE-pairs/s / 2
# SAs per second. Prints figures; asserts nothing (STYLE.md "Tests").
#
# Usage: bench/ike_rate_compare.sh BUILD_DIR [N=500] [ROUNDS=2]      (root; BUILD_DIR e.g. build/release)
set -euo pipefail
BUILD=$(cd "${1:?usage: $0 BUILD_DIR [N] [ROUNDS]}" && pwd)
N=${2:-500}
ROUNDS=${3:-2}
GW="$BUILD/apps/isthmus-gateway/isthmus-gateway"
IKE_RATE="$BUILD/bench/ike_rate"
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../tests/lib/netns.sh"
source "$here/../tests/lib/strongswan.sh"
[[ $(id -u) -eq 0 ]] || { echo "needs root"; exit 1; }
[[ -x $GW && -x $IKE_RATE ]] || { echo "build $BUILD first (isthmus-gateway, ike_rate)"; exit 1; }
command -v /usr/lib/ipsec/charon >/dev/null || { echo "needs strongSwan (scripts/deps.sh)"; exit 1; }
ns_init
WORK=$(mktemp -d /tmp/isthmus-ikecmp.XXXXXX)
ns_on_cleanup "rm -rf '$WORK'"
ns_add a
ns_add b
ns_veth a wan0 198.18.0.2/24 b wan0 198.18.0.3/24
CORES=$(nproc)
HZ=$(getconf CLK_TCK)

cpu_ticks() { local t=0 p; for p in "$@"; do t=$((t + $(awk '{print $14 + $15}' "/proc/$p/stat"))); done; echo $t; }

# wait_lines FILE PATTERN COUNT TIMEOUT_S: until FILE has COUNT lines matching PATTERN.
wait_lines() {
  local deadline=$((SECONDS + $4)) n=0
  while ((SECONDS < deadline)); do
    n=$(grep -c -- "$2" "$1" 2>/dev/null || true)
    ((n >= $3)) && return 0
    sleep 0.02
  done
  echo "  only $n of $3 established" >&2
  return 1
}

rate() { awk -v n="$N" -v a="$1" -v b="$2" 'BEGIN { printf "%.0f", n / (b - a) }'; }
cpu_per_sa() { awk -v n="$N" -v a="$1" -v b="$2" -v hz="$HZ" 'BEGIN { printf "%.3f", 1000 * (b - a) / hz / n }'; }

RESULTS=()  # "label|proposal|sa_per_s|cpu_ms_per_sa"
record() { RESULTS+=("$1|$2|$3|$4"); printf '  %-10s %-36s %8s SA/s %8s ms CPU/SA\n' "$1" "$2" "$3" "$4"; }

# --- isthmus-gateway pair -------------------------------------------------------------------------------
gw_conf() {  # SIDE(a|b) PROPOSAL
  python3 - "$1" "$N" "$2" "$WORK/$1.sock" <<'PY'
import json, sys
side, n, prop, sock = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
me, peer = ("198.18.0.2", "198.18.0.3") if side == "a" else ("198.18.0.3", "198.18.0.2")
other = "b" if side == "a" else "a"
conns = []
for i in range(n):
    x, y = i // 250, i % 250 + 1
    a_net, b_net = f"10.1.{x}.{y}/32", f"10.2.{x}.{y}/32"
    conns.append({"name": f"c{i}", "remote_address": peer, "local_id": f"c{i}@{side}", "remote_id": f"c{i}@{other}",
                  "shared_key": "bench-psk-shared",
                  "local_prefixes": [a_net if side == "a" else b_net],
                  "remote_prefixes": [b_net if side == "a" else a_net],
                  "ike_proposals": [prop], "esp_proposals": ["aes256gcm16"],
                  "mode": "initiator" if side == "a" else "responder"})
print(json.dumps({"local": {"address": me, "id": me}, "tunnel": {"interface": f"bench{side}0"},
                  "control_socket": sock, "ike": {"cookie_threshold": 1 << 20, "max_half_open": 1 << 20},
                  "connections": conns}))
PY
}

# A log line's time as epoch seconds: isthmus "2026-11-25T07:15:11.123 info …" (TZ=UTC), charon
# "1795591805.327 02[IKE] …" (time_format %s plus ms). LINE is first or last; the line must match PATTERN.
log_time() {  # FILE PATTERN first|last
  local line
  if [[ $3 == first ]]; then line=$(grep -m 1 -- "$2" "$1"); else line=$(grep -- "$2" "$1" | tail -n 1); fi
  echo "$line" | python3 -c '
import sys, datetime
t = sys.stdin.read().split()[0]
if "T" in t: t = datetime.datetime.strptime(t, "%Y-%m-%dT%H:%M:%S.%f").replace(tzinfo=datetime.timezone.utc).timestamp()
print(t)'
}

run_isthmus() {  # PROPOSAL
  local prop=$1 pa pb
  gw_conf a "$prop" >"$WORK/a.json"
  gw_conf b "$prop" >"$WORK/b.json"
  rm -f "$WORK/a.sock" "$WORK/b.sock"
  ns_spawn b "$WORK/gw-b.log" env TZ=UTC "$GW" --config "$WORK/b.json"
  pb=$NS_LAST_PID
  ns_spawn a "$WORK/gw-a.log" env TZ=UTC "$GW" --config "$WORK/a.json" --no-initiate
  pa=$NS_LAST_PID
  # "isthmus-gateway … up: N connection(s)" is logged once routes are in and the loop runs.
  wait_lines "$WORK/gw-a.log" " up: " 1 60 && wait_lines "$WORK/gw-b.log" " up: " 1 60 || { cat "$WORK"/gw-*.log; return 1; }
  sleep 0.5  # both loops idle
  local c0 t0 c1 t1 perf_pid=
  if [[ -n ${PERF_DIR:-} ]]; then  # PERF_DIR=DIR: profile both gateways (to find what costs)
    perf record -q -F 2000 -g -p "$(pgrep -P "$pa" -f isthmus-gateway || echo "$pa"),$(pgrep -P "$pb" -f isthmus-gateway || echo "$pb")" \
      -o "$PERF_DIR/perf-$prop.data" >/dev/null 2>&1 &
    perf_pid=$!
    sleep 1
  fi
  c0=$(cpu_ticks "$pa" "$pb")
  "$GW" initiate --all --socket "$WORK/a.sock"
  if wait_lines "$WORK/gw-a.log" "CHILD SA installed" "$N" 120; then
    c1=$(cpu_ticks "$pa" "$pb")
    t0=$(log_time "$WORK/gw-a.log" "initiating (IKE_SA_INIT)" first)
    t1=$(log_time "$WORK/gw-a.log" "CHILD SA installed" last)
    record isthmus "$prop" "$(rate "$t0" "$t1")" "$(cpu_per_sa "$c0" "$c1")"
    if [[ -n $perf_pid ]]; then kill -INT "$perf_pid"; wait "$perf_pid" || true; fi
  else
    record isthmus "$prop" "-" "-"
    tail -n 8 "$WORK/gw-a.log" "$WORK/gw-b.log" | sed 's/^/    /'
  fi
  if [[ -n ${SHOW_DROPS:-} ]]; then
    for s in a b; do ns_exec $s cat /proc/net/snmp | grep Udp: | tail -1 | sed "s/^/    $s /"; done
  fi
  kill -9 "$pa" "$pb" 2>/dev/null || true
  wait "$pa" "$pb" 2>/dev/null || true
}

# --- strongSwan pair ------------------------------------------------------------------------------------
sw_bench_conf() {  # SIDE PROPOSAL
  local me=$1 prop=$2 peer local_addr remote_addr i x y lts rts
  if [[ $me == a ]]; then peer=b local_addr=198.18.0.2 remote_addr=198.18.0.3
  else peer=a local_addr=198.18.0.3 remote_addr=198.18.0.2; fi
  echo "connections {"
  for ((i = 0; i < N; i++)); do
    x=$((i / 250)) y=$((i % 250 + 1))
    if [[ $me == a ]]; then lts=10.1.$x.$y/32 rts=10.2.$x.$y/32; else lts=10.2.$x.$y/32 rts=10.1.$x.$y/32; fi
    echo "  c$i { version = 2
    local_addrs = $local_addr
    remote_addrs = $remote_addr
    encap = yes
    proposals = $prop
    local { auth = psk
            id = c$i@$me }
    remote { auth = psk
             id = c$i@$peer }
    children { net { local_ts = $lts
                     remote_ts = $rts
                     esp_proposals = aes256gcm16
                     start_action = none } } }"
  done
  echo "}"
  # One secret for every identity: charon looks shared keys up by walking its credential sets, so N
  # id-bound secrets would cost it O(N) per IKE_AUTH (isthmus keeps the key in the connection).
  echo "secrets { ike-all { secret = \"bench-psk-shared\" } }"
}

run_strongswan() {  # PROPOSAL
  local prop=$1 pa pb dir
  for s in a b; do
    dir="$WORK/sw-$s"
    rm -rf "$dir"
    mkdir -p "$dir"
    SW_LOG_DEFAULT=0 SW_LOG_IKE=0 SW_TIME_FORMAT=%s SW_INSTALL_ROUTES=no sw_start "$s" "$dir"
    [[ $s == a ]] && pa=$SW_PID || pb=$SW_PID
    sw_bench_conf "$s" "$prop" | sw_conf "$dir"
    sw_load "$s" "$dir"
  done
  sleep 0.5
  local names=() i c0 t0 c1 t1
  for ((i = 0; i < N; i++)); do names+=("c$i"); done
  c0=$(cpu_ticks "$pa" "$pb")
  ns_exec a python3 "$here/vici_initiate.py" "$WORK/sw-a/charon.vici" net "${names[@]}"
  if wait_lines "$WORK/sw-a/charon.log" "IKE_SA c[0-9]*\[[0-9]*\] established" "$N" "${WAIT_S:-120}"; then
    c1=$(cpu_ticks "$pa" "$pb")
    t0=$(log_time "$WORK/sw-a/charon.log" "initiating IKE_SA" first)
    t1=$(log_time "$WORK/sw-a/charon.log" "IKE_SA c[0-9]*\[[0-9]*\] established" last)
    record strongswan "$prop" "$(rate "$t0" "$t1")" "$(cpu_per_sa "$c0" "$c1")"
  else
    record strongswan "$prop" "-" "-"
    tail -n 8 "$WORK/sw-a/charon.log" "$WORK/sw-b/charon.log" | sed 's/^/    /'
  fi
  kill -9 "$pa" "$pb" 2>/dev/null || true
  wait "$pa" "$pb" 2>/dev/null || true
}

# --- the run --------------------------------------------------------------------------------------------
echo "IKE SA establishment rate, $N connections initiated at once, $ROUNDS round(s), $CORES cores"
echo "engine-to-engine (bench/ike_rate, one process, one core):"
"$IKE_RATE" "$N" "$ROUNDS" | grep -v "ike_rate_compare" | sed 's/^/  /' | tee "$WORK/engine.txt"
echo "gateway-to-gateway over UDP, rounds interleaved:"
for prop in ${PROPOSALS:-aes256gcm16-prfsha256-ecp256 aes256gcm16-prfsha256-curve25519}; do
  for ((r = 0; r < ROUNDS; r++)); do
    if [[ ${ONLY:-isthmus} == isthmus ]]; then run_isthmus "$prop"; fi
    if [[ ${ONLY:-strongswan} == strongswan ]]; then run_strongswan "$prop"; fi
  done
done

echo
python3 - "$CORES" "$WORK/engine.txt" "${RESULTS[@]}" <<'PY'
import re, statistics, sys
cores, engine_txt, rows = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
ke = {}  # proposal -> KE pairs/s on one core, from ike_rate's table
for line in open(engine_txt):
    m = re.match(r"\s*(\S+-(?:ecp256|curve25519))\s+\d+\s+[\d.]+\s+(\d+)", line)
    if m: ke[m.group(1)] = float(m.group(2))
by = {}
for r in rows:
    label, prop, rate, cpu = r.split("|")
    if rate != "-": by.setdefault((label, prop), []).append((float(rate), float(cpu)))
print(f"{'proposal':36} {'isthmus SA/s':>13} {'strongSwan SA/s':>16} {'ratio':>7} {'CPU ms/SA isthmus':>18} {'strongSwan':>11} {'share of KE limit':>18}")
for prop in sorted({p for _, p in by}):
    i, s = by.get(("isthmus", prop), []), by.get(("strongswan", prop), [])
    if not i or not s:
        print(f"{prop:36} incomplete"); continue
    ir, sr = statistics.median(x[0] for x in i), statistics.median(x[0] for x in s)
    ic, sc = statistics.median(x[1] for x in i), statistics.median(x[1] for x in s)
    limit = cores * ke.get(prop, 0) / 2
    share = f"{100 * ir / limit:.1f}% of {limit:,.0f}" if limit else "?"
    print(f"{prop:36} {ir:13,.0f} {sr:16,.0f} {ir / sr:6.1f}x {ic:18.3f} {sc:11.3f} {share:>18}")
print("(medians over rounds; KE limit = cores x KE-pairs/s (one core, ike_rate) / 2 sides; target: isthmus >= 3x strongSwan)")
PY
