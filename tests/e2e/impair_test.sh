#!/usr/bin/env bash
# isthmus-impair as the fabric will use it: a gateway's outside leg is a TAP, the underlay's leg a TAP
# in the bridge, and the forwarder carries frames between them with the WAN's delay and loss.
#
#   gw                         isthmus-impair               ul                      peer
#   wan0 (TAP) 198.18.0.2/15 ═══ a_to_b / b_to_a ═══ g-gw (TAP) ─ bridge ul0 ─ veth ─ eth0 198.18.0.3/15
#
# Checks: the TAPs are made persistent (--create-persistent) and the forwarder attaches to them; ping
# RTT ≈ the configured delay both ways; the longest prefix rule wins; SIGHUP changes the delay; a broken
# file on SIGHUP keeps the process and the old configuration; 20 % loss shows as ~20 % ping loss;
# counters in the status file; SIGTERM exits cleanly, the devices stay, a new run attaches again.
# Usage: impair_test.sh ISTHMUS_IMPAIR   (root; exits 77 otherwise)
set -euo pipefail
IMPAIR=$1
source "$(dirname "$0")/../lib/netns.sh"
e2e_init
for tool in ping jq; do command -v $tool >/dev/null || { echo "SKIP: needs $tool"; exit 77; }; done

for n in gw ul peer; do ns_add $n; done
GW=/run/netns/${NS_PREFIX}gw UL=/run/netns/${NS_PREFIX}ul
CFG=$WORK/impair.json STATUS=$WORK/status.json

# The fabric's set-up order: persistent TAPs first, configured like any link, then the forwarder.
"$IMPAIR" --create-persistent --a wan0 --a-netns "$GW" --b g-gw --b-netns "$UL" >"$WORK/create.log" 2>&1 ||
  fail "--create-persistent"
ns_exec gw ip -d link show wan0 | grep -q "tun type tap .*persist on" || fail "wan0 is not a persistent TAP"
ns_exec ul ip -d link show g-gw | grep -q "tun type tap .*persist on" || fail "g-gw is not a persistent TAP"
ns_exec gw ip addr add 198.18.0.2/15 dev wan0
ns_exec gw ip link set wan0 up
ns_exec ul ip link add ul0 type bridge
ns_exec ul ip link set ul0 up
ns_exec ul ip link set g-gw master ul0 up
tmp="v$(od -An -N4 -tx1 /dev/urandom | tr -d ' \n')"
ip link add "${tmp}a" type veth peer name "${tmp}b"
ip link set "${tmp}a" netns "${NS_PREFIX}ul"
ip link set "${tmp}b" netns "${NS_PREFIX}peer"
ns_exec ul ip link set "${tmp}a" master ul0 up
ns_exec peer ip link set "${tmp}b" name eth0
ns_exec peer ip addr add 198.18.0.3/15 dev eth0
ns_exec peer ip link set eth0 up

# profile DELAY_MS [EXTRA]: a profile object; the /32 rule must win over the /15 one.
config() {
  cat >"$CFG" <<JSON
{ "a_to_b": { "default": {"delayMs": 1},
              "rules": [ {"prefix": "198.18.0.0/15", "delayMs": 5},
                         {"prefix": "198.18.0.3/32", "delayMs": $1${2:+, $2}} ] },
  "b_to_a": { "default": {"delayMs": $1} },
  "seed": 7 }
JSON
}

start() {
  "$IMPAIR" --a wan0 --a-netns "$GW" --b g-gw --b-netns "$UL" --config "$CFG" --status "$STATUS" \
    >>"$WORK/impair.log" 2>&1 &
  PID=$!
  NS_PIDS+=("$PID")
  wait_for 5 test -s "$STATUS" || fail "no status file"
}

# rtt COUNT INTERVAL: ping gw → peer; sets MIN, AVG (ms) and RECEIVED.
rtt() {
  local out
  out=$(ns_exec gw ping -c "$1" -i "$2" -W 1 -q 198.18.0.3 || true)
  RECEIVED=$(sed -n 's/.* \([0-9]*\) received.*/\1/p' <<<"$out")
  MIN=$(awk -F/ '/^rtt/ {print $4}' <<<"$out" | sed 's/.*= *//')
  AVG=$(awk -F/ '/^rtt/ {print $5}' <<<"$out")
}
# between VALUE LO HI
between() { awk -v v="$1" -v lo="$2" -v hi="$3" 'BEGIN { exit !(v >= lo && v <= hi) }'; }
reload() {
  rm -f "$STATUS"
  kill -HUP "$PID"
  wait_for 5 test -s "$STATUS" || fail "no status after SIGHUP"
}

echo "== 40 ms each way"
config 40
start
wait_for 10 ns_exec gw ping -c 1 -W 1 198.18.0.3 || fail "no connectivity through the forwarder"
rtt 10 0.2
echo "rtt min $MIN avg $AVG ms (configured 80)"
between "$MIN" 79.5 1000 || fail "RTT $MIN ms is below the configured 80 ms"
between "$AVG" 79.5 95 || fail "RTT $AVG ms is not about 80 ms"

echo "== SIGHUP: 10 ms each way"
config 10
reload
rtt 10 0.2
echo "rtt min $MIN avg $AVG ms (configured 20)"
between "$AVG" 19.5 30 || fail "RTT $AVG ms after reload is not about 20 ms"

echo "== SIGHUP with a broken file"
cp "$CFG" "$WORK/good.json"
echo '{"a_to_b": {"default": {"delayMs": 10, "jitterMs": 50}}}' >"$CFG"
reload
kill -0 "$PID" || fail "the forwarder died on a broken file"
[[ $(jq -r .config.failedLoads "$STATUS") == 1 ]] || fail "the failed reload is not counted"
jq -r .config.lastError "$STATUS" | grep -q "jitter" || fail "the status does not say what is wrong"
grep -q "keeping the running configuration" "$WORK/impair.log" || fail "the broken file is not reported"
rtt 5 0.2
echo "rtt avg $AVG ms (old configuration: 20)"
between "$AVG" 19.5 30 || fail "the old configuration was not kept (RTT $AVG ms)"

echo "== SIGHUP: 20 % loss towards the peer"
config 1 '"lossPercent": 20'
reload
rtt 200 0.01
loss=$((200 - RECEIVED))
echo "lost $loss of 200 pings (configured 20 %)"
between "$loss" 16 70 || fail "lost $loss of 200 pings with 20 % loss configured"
kill -USR1 "$PID"
sleep 0.3
dropped=$(jq '.a_to_b.rules[] | select(.prefix == "198.18.0.3/32") | .counters.droppedLoss' "$STATUS")
echo "status: a_to_b 198.18.0.3/32 droppedLoss $dropped"
((dropped >= loss)) || fail "status counts $dropped losses, ping saw $loss"
((dropped > 0)) || fail "status counts no losses"
[[ $(jq '.b_to_a.total.passed > 0 and .a_to_b.nonIpv4.passed > 0' "$STATUS") == true ]] ||
  fail "status counters missing"
[[ $(jq -r '.a_to_b.rules[0].prefix' "$STATUS") == "default" ]] || fail "status rules"

echo "== SIGTERM, the devices stay, a new run attaches"
kill -TERM "$PID"
for _ in $(seq 50); do kill -0 "$PID" 2>/dev/null || break; sleep 0.1; done
kill -0 "$PID" 2>/dev/null && fail "no exit on SIGTERM"
wait "$PID" || fail "exit status $? on SIGTERM"
ns_exec gw ip link show wan0 | grep -q NO-CARRIER || fail "wan0 should be there without carrier"
config 25
start
grep -q "attached to tap wan0" "$WORK/impair.log" || fail "the new run did not attach to wan0"
wait_for 5 ns_exec gw ping -c 1 -W 1 198.18.0.3 || fail "no connectivity after the restart"
rtt 5 0.2
echo "rtt avg $AVG ms after the restart (configured 50)"
between "$AVG" 49.5 65 || fail "RTT $AVG ms after the restart is not about 50 ms"
echo "PASS"
