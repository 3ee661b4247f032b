#!/usr/bin/env bash
# Two isthmus-gateway processes (IKEv2 + ESP over TUN) from standalone JSON configs.
#
#   hostA 10.1.0.10 ─ gwA ═══ wan 198.18.0.0/24 ═══ gwB ─ hostB 10.2.0.10
#                     isthmus-gateway (initiator)    isthmus-gateway (responder)
#
# Checks: status Connected on both (control socket); ping both ways; bounded iperf3 runs both ways; traffic
# bytes in status; the wan carries only UDP 500/4500 between the gateways, never an inner packet in
# the clear; hostile IKE datagrams leave both gateways and their SAs as they were; `terminate` tears the
# connection down on both sides; SIGTERM ends both processes.
# Usage: gateway_isthmus_pair_test.sh ISTHMUS_GATEWAY   (root; about 30 s)
set -euo pipefail
GW=$1
source "$(dirname "$0")/../lib/netns.sh"
e2e_init

ns_topology_two_sites

PSK=e2e-pair-psk-0123456789
gw_config to-b 198.18.0.2 198.18.0.3 10.1.0.0/16 10.2.0.0/16 initiator "$PSK" >"$WORK/a.json"
gw_config to-a 198.18.0.3 198.18.0.2 10.2.0.0/16 10.1.0.0/16 responder "$PSK" >"$WORK/b.json"
"$GW" --config "$WORK/a.json" --check >/dev/null || fail "--check rejected a valid config"

ns_exec gwA tcpdump -i wan0 -n -s 96 -w "$WORK/wan.pcap" -U >"$WORK/tcpdump.txt" 2>&1 &
TCPDUMP=$!
NS_PIDS+=("$TCPDUMP")
# Whole IKE messages (UDP 500, and 4500 with the non-ESP marker), to replay later.
ns_exec gwA tcpdump -i wan0 -n -s 0 -w "$WORK/ike.pcap" -U 'udp and (port 500 or (port 4500 and udp[8:4] = 0))' \
  >"$WORK/tcpdump-ike.txt" 2>&1 &
NS_PIDS+=("$!")
sleep 0.5

ns_spawn gwB "$WORK/gwB.log" "$GW" --config "$WORK/b.json"
GWB=$NS_LAST_PID
wait_for 10 test -S "$WORK/to-a.sock" || fail "gwB did not start"
ns_spawn gwA "$WORK/gwA.log" "$GW" --config "$WORK/a.json"
GWA=$NS_LAST_PID
wait_for 10 test -S "$WORK/to-b.sock" || fail "gwA did not start"

state() { "$GW" status --socket "$WORK/$1.sock" | python3 -c 'import json,sys; print(json.load(sys.stdin)["connections"][0]["state"])'; }
connected() { [[ $(state "$1") == Connected ]]; }
wait_for 15 connected to-b || fail "gwA not Connected: $(state to-b)"
wait_for 5 connected to-a || fail "gwB not Connected: $(state to-a)"
echo "--- IKE SA up: gwA $(state to-b), gwB $(state to-a)"
"$GW" status --socket "$WORK/to-b.sock" -o table

echo "--- ping both ways"
ns_exec hostA ping -c 3 -i 0.2 -W 2 10.2.0.10 >/dev/null || fail "ping hostA -> hostB"
ns_exec hostB ping -c 3 -i 0.2 -W 2 10.1.0.10 >/dev/null || fail "ping hostB -> hostA"

echo "--- iperf3 (bounded)"
ns_spawn hostB "$WORK/iperf-server.log" iperf3 -s
sleep 0.5
out=$(ns_exec hostA timeout 20 iperf3 -c 10.2.0.10 -t 3 -J) || fail "iperf3"
python3 -c '
import json,sys
j=json.loads(sys.argv[1]); s=j["end"]["sum_received"]
print("hostA->hostB %.2f Gbit/s, retransmits %s" % (s["bits_per_second"]/1e9, j["end"]["sum_sent"].get("retransmits")))
sys.exit(0 if s["bytes"] >= 10_000_000 else 1)' "$out" || fail "iperf3 moved too little"
out=$(ns_exec hostA timeout 20 iperf3 -c 10.2.0.10 -t 3 -R -J) || fail "iperf3 -R"
python3 -c '
import json,sys
j=json.loads(sys.argv[1]); s=j["end"]["sum_received"]
print("hostB->hostA %.2f Gbit/s, retransmits %s" % (s["bits_per_second"]/1e9, j["end"]["sum_sent"].get("retransmits")))
sys.exit(0 if s["bytes"] >= 10_000_000 else 1)' "$out" || fail "iperf3 -R moved too little"

echo "--- traffic counters in status"
"$GW" status --socket "$WORK/to-b.sock" >"$WORK/status-a.json"
python3 - "$WORK/status-a.json" <<'PY' || fail "status counters"
import json, sys
c = json.load(open(sys.argv[1]))["connections"][0]
assert c["out"]["bytes"] > 10_000_000, c["out"]
assert c["in"]["packets"] > 0, c["in"]
ch = c["children"][0]
assert ch["algorithms"].startswith("ESP:AES_GCM_16_256"), ch["algorithms"]
assert ch.get("out", {}).get("bytes", 0) > 0, ch
assert "AES_GCM_16_256" in c["ike_sa"]["algorithms"] and "ECP_256" in c["ike_sa"]["algorithms"], c["ike_sa"]
print("gwA out %d bytes / %d packets, in %d packets; CHILD %s in %s out %s" % (
    c["out"]["bytes"], c["out"]["packets"], c["in"]["packets"], ch["algorithms"], ch["inbound_spi"], ch["outbound_spi"]))
PY
grep -q "e2e-pair-psk" "$WORK/gwA.log" "$WORK/gwB.log" "$WORK/status-a.json" && fail "the PSK appears in a log or status"

echo "--- the wan saw only UDP 500/4500 between the gateways, never an inner packet"
kill "$TCPDUMP"; sleep 0.5
others=$(tcpdump -r "$WORK/wan.pcap" -n 'not (udp and host 198.18.0.2 and host 198.18.0.3 and (port 500 or port 4500)) and not arp and not (ip6 and (src net fe80::/10 or src host ::))' 2>/dev/null | wc -l)
((others == 0)) || { tcpdump -r "$WORK/wan.pcap" -n 'not (udp and (port 500 or port 4500)) and not arp' | head; fail "$others other packets on the wan"; }
clear=$(python3 - "$WORK/wan.pcap" <<'PY'
import sys
d = open(sys.argv[1], "rb").read()
print(d.count(bytes([10,1,0,10,10,2,0,10])) + d.count(bytes([10,2,0,10,10,1,0,10])))
PY
)
((clear == 0)) || fail "inner addresses seen in the clear $clear times"
echo "wan: $(tcpdump -r "$WORK/wan.pcap" -n 2>/dev/null | wc -l) packets, all UDP 500/4500 between the gateways"

echo "--- hostile IKE datagrams at gwB: garbage, truncated, oversized, unknown SPI, replayed"
sas() { "$GW" status --socket "$WORK/$1.sock" | python3 -c '
import json,sys; c=json.load(sys.stdin)["connections"][0]
print(c["state"], c["ike_sa"]["spi_i"], c["ike_sa"]["spi_r"], *[k["inbound_spi"] + "/" + k["outbound_spi"] for k in c["children"]])'; }
before_b=$(sas to-a)
before_a=$(sas to-b)
ns_exec gwA timeout 20 python3 - "$WORK/ike.pcap" <<'PY' || fail "could not send the hostile datagrams"
import os, socket, struct, sys
B = "198.18.0.3"
s500 = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s500.bind(("198.18.0.2", 0))
def ike_header(spi_i, spi_r, exchange, flags, msg_id, length):
    return struct.pack("!QQBBBBII", spi_i, spi_r, 46, 0x20, exchange, flags, msg_id, length)
for _ in range(50):                      # garbage of every size
    s500.sendto(os.urandom(1 + os.urandom(1)[0] * 4), (B, 500))
    s500.sendto(os.urandom(1 + os.urandom(1)[0] * 4), (B, 4500))
s500.sendto(ike_header(1, 0, 34, 0x08, 0, 28)[:17], (B, 500))           # truncated header
s500.sendto(ike_header(1, 0, 34, 0x08, 0, 28 + 60000) + bytes(60000), (B, 500))  # oversized
for _ in range(20):                      # unknown SPIs, INFORMATIONAL with an SK payload of noise
    body = os.urandom(80)
    h = ike_header(int.from_bytes(os.urandom(8), "big"), int.from_bytes(os.urandom(8), "big"), 37, 0x08, 5, 28 + 4 + len(body))
    s500.sendto(bytes(4) + h + struct.pack("!BBH", 0, 0, 4 + len(body)) + body, (B, 4500))
# Replays of the IKE messages gwA really sent (from the wan capture): answered from the response cache
# or dropped, never acted on again.
d = open(sys.argv[1], "rb").read()
off, replayed = 24, 0
while off + 16 <= len(d):
    incl = struct.unpack("<I", d[off + 8:off + 12])[0]
    frame = d[off + 16:off + 16 + incl]; off += 16 + incl
    if len(frame) < 14 + 28 or frame[12:14] != b"\x08\x00": continue
    ip = frame[14:]; ihl = (ip[0] & 15) * 4
    if ip[9] != 17 or ip[12:16] != socket.inet_aton("198.18.0.2"): continue
    dport = struct.unpack("!H", ip[ihl + 2:ihl + 4])[0]
    if dport in (500, 4500):
        s500.sendto(ip[ihl + 8:], (B, dport)); replayed += 1
print(f"sent: 100 garbage, 1 truncated, 1 oversized, 20 unknown-SPI, {replayed} replayed IKE messages")
PY
sleep 1
kill -0 "$GWB" 2>/dev/null || fail "gwB died"
after_b=$(sas to-a)
after_a=$(sas to-b)
[[ $before_b == "$after_b" ]] || fail "gwB's SAs changed: $before_b -> $after_b"
[[ $before_a == "$after_a" ]] || fail "gwA's SAs changed: $before_a -> $after_a"
ns_exec hostA ping -c 2 -i 0.2 -W 2 10.2.0.10 >/dev/null || fail "ping after the hostile datagrams"
echo "both gateways up, SAs unchanged ($after_b), traffic flows"

echo "--- terminate tears down both sides"
"$GW" terminate to-b --socket "$WORK/to-b.sock" || fail "terminate"
notconnected() { [[ $(state "$1") == NotConnected ]]; }
wait_for 5 notconnected to-b || fail "gwA still $(state to-b)"
wait_for 5 notconnected to-a || fail "gwB still $(state to-a)"
ns_exec hostA ping -c 1 -W 1 10.2.0.10 >/dev/null 2>&1 && fail "ping still crosses after terminate"
echo "both NotConnected, no traffic crosses"

echo "--- SIGTERM stops both gateways"
expect_sigterm_exit "$GWA" "$GWB"
echo "PASS"
