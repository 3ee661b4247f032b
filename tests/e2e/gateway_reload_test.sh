#!/usr/bin/env bash
# Config reload of two isthmus-gateway processes: a reload leaves unaffected tunnels untouched.
#
#   hostA 10.1.0.10 ─┐                                          ┌─ hostB 10.2.0.10   (one)
#         10.1.1.10  ├ gwA ═══ wan 198.18.0.0/24 ═══ gwB ┤        10.2.1.10 / .2.10 (two: before / after)
#         10.1.3.10 ─┘  initiator                 responder  └─       10.2.3.10   (three, added)
#
# Connections between the same two gateways are told apart by their IDs (a.NAME / b.NAME).
# Steps:
#   1. one and two up; pings across both.
#   2. Rewrite both configs: one byte for byte the same, two changed (remote prefix 10.2.1.0/24 ->
#      10.2.2.0/24 and a new PSK), three added. SIGHUP to gwB (the responder, first: a responder-only
#      side deletes a changed connection and cannot bring it back), then `reload` on gwA's control
#      socket. A ping through one runs all the while and loses nothing; one keeps its IKE and CHILD SPIs,
#      its established time and rekey counts on both gateways; two comes back with the new prefix (and
#      no longer carries the old one); three comes up.
#   3. Broken files are refused with a clear error and change nothing: invalid JSON and a bad proposal
#      over the socket, invalid JSON and a duplicate connection name by SIGHUP; a change of
#      `local.address` (restart only) leaves every connection as it is. Both gateways stay up; no SA of
#      any connection changes.
# Usage: gateway_reload_test.sh ISTHMUS_GATEWAY   (root; about 30 s)
set -euo pipefail
GW=$1
source "$(dirname "$0")/../lib/netns.sh"
e2e_init

ns_topology_two_sites
for a in 10.1.1 10.1.3; do
  ns_exec hostA ip addr add "$a.10/24" dev eth0
  ns_exec gwA ip addr add "$a.1/24" dev lan0
done
for a in 10.2.1 10.2.2 10.2.3; do
  ns_exec hostB ip addr add "$a.10/24" dev eth0
  ns_exec gwB ip addr add "$a.1/24" dev lan0
done

# conn SIDE NAME PSK LOCAL_NET REMOTE_NET: one connection object for gateway SIDE (a or b).
conn() {
  local side=$1 peer=b mode=initiator remote=198.18.0.3
  [[ $side == b ]] && { peer=a; mode=responder; remote=198.18.0.2; }
  cat <<JSON
    { "name": "$2", "remote_address": "$remote", "local_id": "$side.$2", "remote_id": "$peer.$2",
      "shared_key": "$3", "local_prefixes": ["$4"], "remote_prefixes": ["$5"],
      "ike_proposals": ["aes256gcm16-prfsha256-ecp256"], "esp_proposals": ["aes256gcm16"],
      "mode": "$mode", "dpd_timeout_s": 30 }
JSON
}
# gateway SIDE LOCAL_ADDRESS CONNECTION...: a whole config file on stdout.
gateway() {
  local side=$1 addr=$2
  shift 2
  printf '{ "local": {"address": "%s", "id": "%s"},\n  "tunnel": {"interface": "isth0", "mtu": 1400},\n' "$addr" "$addr"
  printf '  "control_socket": "%s/%s.sock",\n  "connections": [\n' "$WORK" "$side"
  local first=1
  for c in "$@"; do
    ((first)) || printf ',\n'
    first=0
    printf '%s' "$c"
  done
  printf '\n  ] }\n'
}
A_ONE=$(conn a one psk-one-0123456789 10.1.0.0/24 10.2.0.0/24)
B_ONE=$(conn b one psk-one-0123456789 10.2.0.0/24 10.1.0.0/24)
A_TWO_V1=$(conn a two psk-two-old-012345 10.1.1.0/24 10.2.1.0/24)
B_TWO_V1=$(conn b two psk-two-old-012345 10.2.1.0/24 10.1.1.0/24)
A_TWO_V2=$(conn a two psk-two-new-543210 10.1.1.0/24 10.2.2.0/24)
B_TWO_V2=$(conn b two psk-two-new-543210 10.2.2.0/24 10.1.1.0/24)
A_THREE=$(conn a three psk-three-0123456 10.1.3.0/24 10.2.3.0/24)
B_THREE=$(conn b three psk-three-0123456 10.2.3.0/24 10.1.3.0/24)
gateway a 198.18.0.2 "$A_ONE" "$A_TWO_V1" >"$WORK/a.json"
gateway b 198.18.0.3 "$B_ONE" "$B_TWO_V1" >"$WORK/b.json"
gateway a 198.18.0.2 "$A_ONE" "$A_TWO_V2" "$A_THREE" >"$WORK/a2.json"
gateway b 198.18.0.3 "$B_ONE" "$B_TWO_V2" "$B_THREE" >"$WORK/b2.json"
for f in a b a2 b2; do "$GW" --config "$WORK/$f.json" --check >/dev/null || fail "--check rejected $f.json"; done

ns_spawn gwB "$WORK/gwB.log" "$GW" --config "$WORK/b.json"
GWB=$NS_LAST_PID
wait_for 10 test -S "$WORK/b.sock" || fail "gwB did not start"
ns_spawn gwA "$WORK/gwA.log" "$GW" --config "$WORK/a.json"
GWA=$NS_LAST_PID
wait_for 10 test -S "$WORK/a.sock" || fail "gwA did not start"

status() { "$GW" status --socket "$WORK/$1.sock"; }
# field GW CONN EXPR: a Python expression over connection `c` (None if absent) in GW's status.
field() {
  status "$1" | python3 -c '
import json, sys
cs = [c for c in json.load(sys.stdin)["connections"] if c["name"] == sys.argv[1]]
c = cs[0] if cs else None
print(eval(sys.argv[2]))' "$2" "$3"
}
state() { field "$1" "$2" 'c["state"] if c else "absent"'; }
is() { [[ $(state "$1" "$2") == "$3" ]]; }
up() { [[ $(field "$1" "$2" 'c is not None and c["state"] == "Connected" and len(c["children"]) == 1') == True ]]; }
alive() { kill -0 "$GWA" 2>/dev/null || fail "gwA died"; kill -0 "$GWB" 2>/dev/null || fail "gwB died"; }
ping_ok() { ns_exec hostA ping -c 2 -i 0.2 -W 2 -I "$1" "$2" >/dev/null; }

# sas GW: per connection, what a reload must not change when it leaves the connection alone — IKE and
# CHILD SPIs, rekey counts, established times (status gives them to the second, from the wall clock).
sas() {
  status "$1" | python3 -c '
import json, sys
out = {}
for c in json.load(sys.stdin)["connections"]:
    i = c.get("ike_sa", {})
    out[c["name"]] = {"state": c["state"], "spi_i": i.get("spi_i"), "spi_r": i.get("spi_r"),
                      "established_at": i.get("established_at"), "ike_rekeys": c["ike_rekeys"],
                      "child_rekeys": c["child_rekeys"],
                      "children": [[k["inbound_spi"], k["outbound_spi"], k["established_at"]] for k in c["children"]]}
print(json.dumps(out))'
}
# same_sas BEFORE AFTER WHAT NAME...: the named connections are Connected with one CHILD SA, before and
# after, and equal (established times within a second: wall-clock rounding).
same_sas() {
  python3 - "$@" <<'PY' || fail "$3: SAs changed"
import json, sys
from datetime import datetime
before, after = json.loads(sys.argv[1]), json.loads(sys.argv[2])
t = lambda s: datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ").timestamp()
ok = True
for name in sys.argv[4:]:
    b, a = before.get(name), after.get(name)
    good = b is not None and a is not None and b["state"] == a["state"] == "Connected"
    good = good and len(b["children"]) == len(a["children"]) == 1
    good = good and all(b[k] == a[k] for k in ("spi_i", "spi_r", "ike_rekeys", "child_rekeys"))
    good = good and abs(t(b["established_at"]) - t(a["established_at"])) <= 1
    good = good and b["children"][0][:2] == a["children"][0][:2]
    good = good and abs(t(b["children"][0][2]) - t(a["children"][0][2])) <= 1
    if not good:
        print(f"{name}: before {b}\n{name}: after  {a}", file=sys.stderr)
    ok = ok and good
sys.exit(0 if ok else 1)
PY
}

echo "--- 1. one and two up"
for c in one two; do
  wait_for 15 up a $c || fail "gwA $c: $(state a $c)"
  wait_for 5 up b $c || fail "gwB $c: $(state b $c)"
done
ping_ok 10.1.0.10 10.2.0.10 || fail "ping through one"
ping_ok 10.1.1.10 10.2.1.10 || fail "ping through two"
sleep 2  # a re-established one would then show a later established time
SAS_A=$(sas a)
SAS_B=$(sas b)
"$GW" status --socket "$WORK/a.sock" -o table

echo "--- 2. reload: one unchanged, two changed, three added (SIGHUP gwB, then reload on gwA's socket)"
# A ping through one all the while (directly, so that $! is ping's pid: SIGINT makes it report).
ip netns exec "${NS_PREFIX}hostA" ping -q -i 0.05 -I 10.1.0.10 10.2.0.10 >"$WORK/ping-one.txt" 2>&1 &
PING=$!
NS_PIDS+=("$PING")
sleep 1
cp "$WORK/b2.json" "$WORK/b.json"
kill -HUP "$GWB"
wait_for 5 grep -q "reload: 3 connection(s) configured" "$WORK/gwB.log" || fail "gwB did not reload on SIGHUP"
wait_for 5 is a two NotConnected || fail "gwB's reload did not delete two (gwA: $(state a two))"
cp "$WORK/a2.json" "$WORK/a.json"
out=$("$GW" reload --socket "$WORK/a.sock" 2>&1) || fail "reload on gwA's socket: $out"
for c in two three; do
  wait_for 15 up a $c || fail "gwA $c after reload: $(state a $c)"
  wait_for 5 up b $c || fail "gwB $c after reload: $(state b $c)"
done
sleep 1
kill -INT "$PING"
wait "$PING" || true
read -r sent received < <(sed -n 's/^\([0-9]*\) packets transmitted, \([0-9]*\) received.*/\1 \2/p' "$WORK/ping-one.txt")
echo "ping through one during the reloads: $sent sent, $received answered"
# At most the one in flight when the ping was stopped goes unanswered.
((sent >= 40 && received >= sent - 1)) || fail "ping through one lost packets during the reloads: $(cat "$WORK/ping-one.txt")"
same_sas "$SAS_A" "$(sas a)" "one on gwA" one
same_sas "$SAS_B" "$(sas b)" "one on gwB" one
[[ $(field a two 'c["children"][0]["remote_prefixes"]') == "['10.2.2.0/24']" ]] || fail "two's new prefix: $(field a two 'c["children"][0]')"
[[ $(field b two 'c["children"][0]["local_prefixes"]') == "['10.2.2.0/24']" ]] || fail "two's new prefix on gwB"
OLD_TWO_SPI=$(python3 -c 'import json, sys; print(json.loads(sys.argv[1])["two"]["spi_i"])' "$SAS_A")
[[ $(field a two 'c["ike_sa"]["spi_i"]') != "$OLD_TWO_SPI" ]] || fail "two kept its IKE SA"
ping_ok 10.1.0.10 10.2.0.10 || fail "ping through one after the reloads"
ping_ok 10.1.1.10 10.2.2.10 || fail "ping through the changed two"
ping_ok 10.1.3.10 10.2.3.10 || fail "ping through the added three"
ns_exec hostA ping -c 1 -W 1 -I 10.1.1.10 10.2.1.10 >/dev/null 2>&1 && fail "two still carries its old prefix"
# Engine log lines are "NAME PEER: what (why)".
touched='isthmus-gateway: one 198\.18\.0\.[23]\[[0-9]+\]: (IKE SA deleting|IKE SA deleted|IKE SA replaced|CHILD SA removed|connection down|initiating)'
grep -Eq "isthmus-gateway: two 198\.18\.0\.2\[[0-9]+\]: IKE SA deleting \(configuration changed\)" "$WORK/gwB.log" ||
  fail "gwB's log does not show two deleted for the change"
grep -Eq "isthmus-gateway: one 198\.18\.0\.3\[[0-9]+\]: initiating" "$WORK/gwA.log" || fail "log format changed: fix the patterns"
[[ $(grep -Ec "$touched" "$WORK/gwA.log") == 1 ]] || fail "one was touched on gwA: $(grep -E "$touched" "$WORK/gwA.log")"
grep -Eq "$touched" "$WORK/gwB.log" && fail "one was touched on gwB: $(grep -E "$touched" "$WORK/gwB.log")"
echo "one untouched on both gateways; two re-established with 10.2.2.0/24; three up"
"$GW" status --socket "$WORK/a.sock" -o table

echo "--- 3. broken files are refused and change nothing"
SAS_A=$(sas a)
SAS_B=$(sas b)
nothing_changed() {
  alive
  same_sas "$SAS_A" "$(sas a)" "$1 (gwA)" one two three
  same_sas "$SAS_B" "$(sas b)" "$1 (gwB)" one two three
}
printf '{ "local": {"address": "198.18.0.2",\n' >"$WORK/a.json"  # truncated: invalid JSON
out=$("$GW" reload --socket "$WORK/a.sock" 2>&1) && fail "invalid JSON accepted: $out"
[[ $out == "isthmus-gateway: config: is not a JSON object (check for a syntax error)" ]] ||
  fail "unclear error for invalid JSON: $out"
echo "invalid JSON (socket): $out"
nothing_changed "invalid JSON on gwA"
sed 's/aes256gcm16-prfsha256-ecp256/aes256gcm16-prfsha256-nosuchgroup/' "$WORK/a2.json" >"$WORK/a.json"
out=$("$GW" reload --socket "$WORK/a.sock" 2>&1) && fail "bad proposal accepted: $out"
grep -q "connections\[0\].ike_proposals\[0\]" <<<"$out" || fail "error does not name the field: $out"
echo "bad proposal (socket): $out"
nothing_changed "bad proposal on gwA"
echo '[1, 2' >"$WORK/b.json"
kill -HUP "$GWB"
wait_for 5 grep -q "reload failed, keeping the running configuration: config: is not a JSON object" "$WORK/gwB.log" ||
  fail "gwB did not refuse invalid JSON on SIGHUP"
python3 - "$WORK/b2.json" >"$WORK/b.json" <<'PY'  # semantically invalid: a name used twice
import json, sys
c = json.load(open(sys.argv[1]))
c["connections"][2]["name"] = "one"
print(json.dumps(c))
PY
kill -HUP "$GWB"
wait_for 5 grep -q "connections\[2\].name: 'one' is used twice" "$WORK/gwB.log" || fail "gwB did not refuse a duplicate name on SIGHUP"
grep "reload failed" "$WORK/gwB.log"
nothing_changed "invalid JSON and a duplicate name on gwB"
sed 's/"address": "198.18.0.2"/"address": "198.18.0.99"/' "$WORK/a2.json" >"$WORK/a.json"
out=$("$GW" reload --socket "$WORK/a.sock" 2>&1) || fail "reload with a changed local address: $out"
wait_for 5 grep -q "need a restart" "$WORK/gwA.log" || fail "no restart notice for a changed local address"
sleep 1
nothing_changed "local.address changed on gwA (restart only)"
ping_ok 10.1.0.10 10.2.0.10 || fail "ping through one after the refused reloads"
echo "all refused or restart-only; nothing changed; both gateways up"

echo "--- SIGTERM stops both gateways"
expect_sigterm_exit "$GWA" "$GWB"
echo "PASS"
