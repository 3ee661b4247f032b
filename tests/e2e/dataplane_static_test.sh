#!/usr/bin/env bash
# isthmus-dp (statically keyed ESP over TUN) between two gateways.
#
#   hostA 10.1.0.10 ─ gwA ═══ wan 198.18.0.0/24 ═══ gwB ─ hostB 10.2.0.10
#                     isthmus-dp              isthmus-dp
#                     SPI out 0x2001 ───────► SPI in 0x2001
#                     SPI in  0x1001 ◄─────── SPI out 0x1001
#
# Checks: ping both ways; iperf3 TCP both ways (offloads on, then with checksum offload off on the
# gateways' LAN veths, and no TcpInCsumErrors on the hosts); the wan carries only UDP 4500 between the
# gateways and never an inner packet in the clear; tampered, replayed, truncated and unknown-SPI ESP
# injected on the wan are dropped and counted by reason while traffic continues.
# Usage: dataplane_static_test.sh ISTHMUS_DP   (root; about 40 s)
set -euo pipefail
DP=$1
[[ $(id -u) -eq 0 ]] || { echo "SKIP: needs root"; exit 77; }
source "$(dirname "$0")/../lib/netns.sh"
ns_init
WORK=$(mktemp -d)
ns_on_cleanup "rm -rf $WORK"
fail() { echo "FAIL: $*" >&2; for f in "$WORK"/*.log "$WORK"/*.stats; do echo "== $f"; cat "$f"; done >&2; exit 1; }

ns_topology_two_sites
common=(--seed e2e-seed --transform aes256gcm --offloads on --mtu 1400)
ns_spawn gwA "$WORK/gwA.log" "$DP" --tun ist0 --local 198.18.0.2 --peer 198.18.0.3 --local-prefix 10.1.0.0/24 \
  --remote-prefix 10.2.0.0/24 --spi-in 0x1001 --spi-out 0x2001 --icmp-source 10.1.0.1 --stats "$WORK/gwA.stats" "${common[@]}"
ns_spawn gwB "$WORK/gwB.log" "$DP" --tun ist0 --local 198.18.0.3 --peer 198.18.0.2 --local-prefix 10.2.0.0/24 \
  --remote-prefix 10.1.0.0/24 --spi-in 0x2001 --spi-out 0x1001 --icmp-source 10.2.0.1 --stats "$WORK/gwB.stats" "${common[@]}"
GWB_PID=$NS_LAST_PID
wait_for 10 test -s "$WORK/gwA.stats" || fail "gwA runner did not start"
wait_for 10 test -s "$WORK/gwB.stats" || fail "gwB runner did not start"

stat_of() { kill -USR1 "$3" 2>/dev/null || true; sleep 0.3; awk -v k="$2" '$1==k {print $2}' "$WORK/$1.stats"; }

# The wan capture runs for the whole test.
# Headers only (96 octets reach past an inner IPv4 header sent in the clear): gigabytes of iperf3 data
# need not be stored.
ns_exec gwA tcpdump -i wan0 -n -s 96 -w "$WORK/wan.pcap" -U >"$WORK/tcpdump.log" 2>&1 &
TCPDUMP=$!
NS_PIDS+=("$TCPDUMP")
sleep 1

echo "--- ping both ways"
ns_exec hostA ping -c 3 -i 0.2 -W 2 10.2.0.10 >/dev/null || fail "ping hostA -> hostB"
ns_exec hostB ping -c 3 -i 0.2 -W 2 10.1.0.10 >/dev/null || fail "ping hostB -> hostA"

ns_spawn hostB "$WORK/iperf-server.log" iperf3 -s
sleep 0.5
run_iperf() {  # label extra-args
  local out
  out=$(ns_exec hostA timeout 20 iperf3 -c 10.2.0.10 -t 5 -J "${@:2}") || fail "iperf3 $1"
  python3 -c '
import json,sys
j=json.loads(sys.argv[1]); s=j["end"]["sum_received"]
print("%-28s %6.2f Gbit/s  retransmits %s" % (sys.argv[2], s["bits_per_second"]/1e9, j["end"]["sum_sent"].get("retransmits")))
if s["bytes"] < 10_000_000: sys.exit(1)' "$out" "$1" || fail "iperf3 $1 moved too little"
}
csum_errors() { ns_exec "$1" nstat -az TcpInCsumErrors | awk '/TcpInCsumErrors/ {print $2}'; }

echo "--- TCP, offloads on"
run_iperf "hostA->hostB"
run_iperf "hostB->hostA (reverse)" -R

echo "--- TCP with tx checksum offload off on the gateways' LAN veths"
ns_exec gwA ethtool -K lan0 tx off >/dev/null
ns_exec gwB ethtool -K lan0 tx off >/dev/null
a0=$(csum_errors hostA); b0=$(csum_errors hostB)
run_iperf "hostA->hostB (tx off)"
run_iperf "hostB->hostA (tx off)" -R
a1=$(csum_errors hostA); b1=$(csum_errors hostB)
[[ $a1 == "$a0" && $b1 == "$b0" ]] || fail "TcpInCsumErrors grew: hostA $a0->$a1 hostB $b0->$b1"
echo "TcpInCsumErrors unchanged (hostA $a1, hostB $b1)"

echo "--- injected ESP on the wan"
b_icv0=$(stat_of gwB sa.in.0x00002001.drop.bad_icv $GWB_PID)
b_rep0=$(stat_of gwB sa.in.0x00002001.drop.replayed $GWB_PID)
ns_exec gwA timeout 10 tcpdump -i wan0 -n -c 3 -s 0 -w "$WORK/sample.pcap" -U 'udp and src 198.18.0.2 and dst port 4500' \
  >/dev/null 2>&1 &
SAMPLER=$!
sleep 0.5
ns_exec hostA ping -c 3 -i 0.2 -s 200 -W 2 10.2.0.10 >/dev/null || fail "ping before injection"
wait $SAMPLER || true
ns_exec gwA timeout 20 python3 - "$WORK/sample.pcap" <<'PY' || fail "injection"
import socket, struct, sys, time
# Capture one real ESP datagram gwA -> gwB from the wan to replay and tamper with (raw pcap parsing).
def esp_samples(path):
    data = open(path, "rb").read()
    off, out = 24, []
    while off + 16 <= len(data):
        incl = struct.unpack("<I", data[off + 8:off + 12])[0]
        pkt = data[off + 16:off + 16 + incl]
        off += 16 + incl
        ip = pkt[14:]
        if len(ip) > 28 and ip[9] == 17 and ip[12:16] == socket.inet_aton("198.18.0.2"):
            udp = ip[(ip[0] & 15) * 4:]
            if struct.unpack("!H", udp[2:4])[0] == 4500 and len(udp) > 40:
                out.append(udp[8:])
    return out
time.sleep(0.5)
s = esp_samples(sys.argv[1])
assert s, "no ESP seen on the wan"
sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
sock.bind(("198.18.0.2", 4501))
dst = ("198.18.0.3", 4500)
esp = s[-1]
for _ in range(5): sock.sendto(esp, dst)                                   # replayed
t = bytearray(esp); t[-20] ^= 1
for _ in range(4): sock.sendto(bytes(t), dst)                              # tampered, its seq replayed
for i in range(4):                                                         # tampered, fresh seq
    f = bytearray(esp); f[4:8] = struct.pack("!I", struct.unpack("!I", esp[4:8])[0] + 1000 + i); f[-20] ^= 1
    sock.sendto(bytes(f), dst)
for _ in range(3): sock.sendto(esp[:6], dst)                               # truncated
for _ in range(2): sock.sendto(struct.pack("!II", 0xdead0001, 1) + esp[8:], dst)  # unknown SPI
PY
sleep 0.5
get() { stat_of gwB "$1" $GWB_PID; }
replayed=$(( $(get sa.in.0x00002001.drop.replayed) - b_rep0 )); bad_icv=$(get sa.in.0x00002001.drop.bad_icv)
truncated=$(get drop.worker.truncated); unknown=$(get drop.worker.unknown_spi)
echo "gwB drops after injection: replayed=$replayed bad_icv=$((bad_icv - b_icv0)) truncated=$truncated unknown_spi=$unknown"
((replayed >= 5)) || fail "replayed packets not counted"
((replayed >= 9)) || fail "tampered copies of a received packet must be caught as replays before the ICV"
((bad_icv - b_icv0 >= 4)) || fail "tampered packets not counted as bad_icv"
((truncated >= 3)) || fail "truncated packets not counted"
((unknown >= 2)) || fail "unknown-SPI packets not counted"
ns_exec hostA ping -c 2 -i 0.2 -W 2 10.2.0.10 >/dev/null || fail "traffic stopped after injection"
echo "traffic continues"

echo "--- the wan saw only UDP 4500 between the gateways, never an inner packet"
kill "$TCPDUMP"; sleep 0.5
others=$(tcpdump -r "$WORK/wan.pcap" -n 'not (udp and host 198.18.0.2 and host 198.18.0.3 and (port 4500 or port 4501)) and not arp and not (ip6 and (src net fe80::/10 or src host ::))' 2>/dev/null | wc -l)
((others == 0)) || { tcpdump -r "$WORK/wan.pcap" -n 'not (udp and port 4500) and not arp and not ip6' | head; fail "$others non-ESP packets on the wan"; }
# Inner addresses 10.1.0.10 / 10.2.0.10 as they would appear in a clear IPv4 header (src then dst).
clear=$(python3 - "$WORK/wan.pcap" <<'PY'
import sys
d = open(sys.argv[1], "rb").read()
print(d.count(bytes([10,1,0,10,10,2,0,10])) + d.count(bytes([10,2,0,10,10,1,0,10])))
PY
)
((clear == 0)) || fail "inner addresses seen in the clear $clear times"
total=$(tcpdump -r "$WORK/wan.pcap" -n 2>/dev/null | wc -l)
echo "wan: $total packets, all UDP between 198.18.0.2 and 198.18.0.3, inner headers never in the clear"
echo "PASS"
