#!/usr/bin/env bash
# Rekeying under load (ESP issue): two isthmus-gateway processes with a CHILD SA lifetime of 20 s and an
# IKE SA lifetime of 60 s carry one iperf3 TCP stream hostA -> hostB for 60 s.
#
#   hostA 10.1.0.10 ─ gwA ═══ wan 198.18.0.0/24 ═══ gwB ─ hostB 10.2.0.10
#
# Checks: CHILD SAs were rekeyed at least twice and the IKE SA at least once, on both sides; no one-second
# interval of the stream stalls (each carries at least a tenth of the median); midway, 25 ESP packets with
# a good SPI and a bad ICV are injected at gwB, and at the end the only drops anywhere — every SA, every
# connection, the workers — are exactly those 25 bad_icv at gwB: the replay window rejected nothing
# legitimate and no packet went to an unknown or deleted SA.
# Usage: gateway_rekey_load_test.sh ISTHMUS_GATEWAY   (root; about 80 s)
set -euo pipefail
GW=$1
source "$(dirname "$0")/../lib/netns.sh"
e2e_init
DURATION=60
INJECTED=25

ns_topology_two_sites

PSK=e2e-rekey-psk-0123456789
LIFETIMES='"ike_lifetime_s": 60, "child_lifetime_s": 20'
gw_config to-b 198.18.0.2 198.18.0.3 10.1.0.0/16 10.2.0.0/16 initiator "$PSK" "$LIFETIMES" >"$WORK/a.json"
gw_config to-a 198.18.0.3 198.18.0.2 10.2.0.0/16 10.1.0.0/16 responder "$PSK" "$LIFETIMES" >"$WORK/b.json"

ns_spawn gwB "$WORK/gwB.log" "$GW" --config "$WORK/b.json"
wait_for 10 test -S "$WORK/to-a.sock" || fail "gwB did not start"
ns_spawn gwA "$WORK/gwA.log" "$GW" --config "$WORK/a.json"
wait_for 10 test -S "$WORK/to-b.sock" || fail "gwA did not start"

status() { "$GW" status --socket "$WORK/$1.sock"; }
field() {  # SOCK PYTHON-EXPR over c (the connection)
  status "$1" | python3 -c "import json,sys; c=json.load(sys.stdin)['connections'][0]; print($2)"
}
connected() { [[ $(field "$1" 'c["state"]') == Connected ]]; }
wait_for 15 connected to-b || fail "gwA not Connected"
wait_for 5 connected to-a || fail "gwB not Connected"
ns_exec hostA ping -c 2 -i 0.2 -W 2 10.2.0.10 >/dev/null || fail "no ping before the load"

ns_spawn hostB "$WORK/iperf-server.log" iperf3 -s
sleep 0.5
echo "--- iperf3 hostA -> hostB for ${DURATION}s, CHILD lifetime 20 s, IKE lifetime 60 s"
ns_exec hostA timeout $((DURATION + 30)) iperf3 -c 10.2.0.10 -t "$DURATION" -i 1 -J >"$WORK/iperf.json" 2>"$WORK/iperf.err" &
IPERF=$!

sleep $((DURATION / 2))
echo "--- injecting $INJECTED ESP packets with gwB's current inbound SPI and a bad ICV"
spi=$(field to-a 'c["children"][0]["inbound_spi"]')
ns_exec gwA python3 - "$spi" "$INJECTED" <<'PY' || fail "injection"
import os, socket, struct, sys
spi = int(sys.argv[1], 16)  # status prints SPIs as 8 hex digits
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(int(sys.argv[2])):
    # Far ahead of the window (never a replay), then garbage: only the ICV check can reject it.
    s.sendto(struct.pack("!II", spi, 0x70000000 + i) + os.urandom(120), ("198.18.0.3", 4500))
PY

wait "$IPERF" || fail "iperf3 failed: $(cat "$WORK/iperf.err")"
python3 - "$WORK/iperf.json" <<'PY' || fail "the stream stalled"
import json, statistics, sys
j = json.load(open(sys.argv[1]))
per_s = [iv["sum"]["bits_per_second"] for iv in j["intervals"]]
med = statistics.median(per_s)
low = min(per_s)
print(f"{len(per_s)} intervals: median {med/1e9:.2f} Gbit/s, lowest {low/1e9:.2f}, "
      f"retransmits {j['end']['sum_sent'].get('retransmits')}, total {j['end']['sum_received']['bytes']/1e9:.1f} GB")
sys.exit(0 if len(per_s) >= 55 and low >= med / 10 else 1)
PY

echo "--- rekeys and drops"
status to-b >"$WORK/status-a.json"
status to-a >"$WORK/status-b.json"
python3 - "$WORK/status-a.json" "$WORK/status-b.json" "$INJECTED" <<'PY' || fail "rekeys or drops"
import json, sys
ok = True
for side, path in (("gwA", sys.argv[1]), ("gwB", sys.argv[2])):
    st = json.load(open(path))
    c = st["connections"][0]
    drops = {}
    def add(where, d):
        for reason, n in (d or {}).items():
            if n: drops[f"{where}:{reason}"] = drops.get(f"{where}:{reason}", 0) + n
    add("connection", c.get("drops"))
    for ch in c.get("children", []):
        add("sa", ch.get("drops"))
    add("worker", st.get("drops"))
    print(f"{side}: state {c['state']}, CHILD rekeys {c['child_rekeys']}, IKE rekeys {c['ike_rekeys']}, "
          f"in {c['in']['packets']} packets, out {c['out']['packets']} packets, drops {drops or 'none'}")
    if c["state"] != "Connected" or c["child_rekeys"] < 2 or c["ike_rekeys"] < 1:
        print(f"  {side}: expected Connected, >= 2 CHILD rekeys and >= 1 IKE rekey"); ok = False
    bad_icv = sum(n for k, n in drops.items() if k.endswith(":bad_icv") and k.startswith("connection"))
    others = {k: n for k, n in drops.items() if not k.endswith(":bad_icv")}
    if others:
        print(f"  {side}: drops that were not injected: {others}"); ok = False
    want = int(sys.argv[3]) if side == "gwB" else 0
    if bad_icv != want:
        print(f"  {side}: bad_icv {bad_icv}, injected {want}"); ok = False
sys.exit(0 if ok else 1)
PY
ns_exec hostA ping -c 2 -i 0.2 -W 2 10.2.0.10 >/dev/null || fail "no ping after the load"
grep -q "e2e-rekey-psk" "$WORK/gwA.log" "$WORK/gwB.log" "$WORK"/status-*.json && fail "the PSK appears in a log or status"
echo "PASS"
