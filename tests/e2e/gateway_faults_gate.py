#!/usr/bin/env python3
"""A collision gate for IKE CREATE_CHILD_SA requests on an emulated WAN bridge (gateway_faults_test.sh).

The gateways jitter their rekey deadlines (hard - margin - random(0, hard/20), src/gateway/engine_config.cc)
and the JSON configuration has no knob to turn that off, so two gateways with equal lifetimes rarely
start a rekey within one round trip of each other. This gate makes them: it runs in the WAN namespace
whose bridge joins the two gateways, where an nftables rule (bridge family, installed here) drops every
CREATE_CHILD_SA *request* between the two gateway ports. The gate reads those requests on the ports
themselves (a packet socket sees a frame before the bridge does), holds the first one, and releases it
together with the other side's next request: both requests are then in flight at once, which is the
simultaneous rekey of RFC 7296 §2.8.1 (CHILD SA and IKE SA alike). A request whose counterpart does not
come within --hold seconds is released alone (a "timeout" line). Responses, ESP and all other traffic
pass the bridge untouched.

Usage: gateway_faults_gate.py --ports PORT_A PORT_B --hold SECONDS --log FILE   (root, in the WAN netns)
Log lines (one per event, wall-clock seconds first): "T hold PORT LEN MSGID", "T collision PORT1 PORT2",
"T timeout PORT", "T pass PORT" (a request that found nothing to pair with while one was in flight).
SIGTERM removes the nftables table and exits.
"""
import argparse
import ctypes
import select
import signal
import socket
import struct
import subprocess
import sys
import time

ETH_P_ALL = 0x0003
PACKET_OUTGOING = 4
SO_ATTACH_FILTER = 26
TABLE = "faults_gate"
# IKE on port 4500 (after the four-octet non-ESP marker, RFC 3948 §2.2): the exchange type is octet 18 of
# the IKE header (34 = IKE_SA_INIT ... 36 = CREATE_CHILD_SA) and 0x20 in octet 19 marks a response
# (RFC 7296 §3.1). tcpdump's udp[] and nft's @th count from the UDP header: marker at 8, header at 12.
BPF = "udp dst port 4500 and udp[8:4] = 0 and udp[30] = 36 and udp[31] & 0x20 = 0"
NFT_MATCH = "udp dport 4500 @th,64,32 0 @th,240,8 36 @th,250,1 0"


def bpf_program(iface):
    out = subprocess.run(["tcpdump", "-i", iface, "-ddd", BPF], check=True, capture_output=True, text=True)
    lines = out.stdout.split("\n")
    n = int(lines[0])
    insns = [tuple(int(x) for x in line.split()) for line in lines[1:1 + n]]
    return b"".join(struct.pack("HBBI", *i) for i in insns), n


def open_port(iface):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    code, n = bpf_program(iface)
    buf = ctypes.create_string_buffer(code, len(code))
    s.setsockopt(socket.SOL_SOCKET, SO_ATTACH_FILTER, struct.pack("HL", n, ctypes.addressof(buf)))
    s.bind((iface, 0))
    s.setblocking(False)
    return s, buf  # the filter's buffer must outlive the call


def ike_request(frame):
    """(length, message id) of a CREATE_CHILD_SA request in an Ethernet frame, else None (re-checks what
    the BPF filter matched: frames that arrived before it was attached are unfiltered)."""
    if len(frame) < 14 + 20 or frame[12:14] != b"\x08\x00":
        return None
    ip = frame[14:]
    ihl = (ip[0] & 15) * 4
    if ip[9] != 17 or len(ip) < ihl + 8 + 4 + 28:
        return None
    udp = ip[ihl:]
    if struct.unpack("!H", udp[2:4])[0] != 4500 or udp[8:12] != b"\0\0\0\0":
        return None
    ike = udp[12:]
    if ike[18] != 36 or ike[19] & 0x20:
        return None
    return len(udp), struct.unpack("!I", ike[20:24])[0]


def without_udp_checksum(frame):
    # A frame read on a veth may carry a partial UDP checksum (the sender left it to offload); sent again
    # from a packet socket nothing would finish it. Zero means "no checksum" for UDP over IPv4 (RFC 768).
    ihl = (frame[14] & 15) * 4
    off = 14 + ihl + 6
    return frame[:off] + b"\0\0" + frame[off + 2:]


def nft(*args, check=True):
    return subprocess.run(["nft", *args], check=check, capture_output=True, text=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ports", nargs=2, required=True)
    ap.add_argument("--hold", type=float, required=True)
    ap.add_argument("--log", required=True)
    a = ap.parse_args()
    log = open(a.log, "a", buffering=1)

    def note(*words):
        log.write(" ".join([f"{time.time():.3f}", *map(str, words)]) + "\n")

    pa, pb = a.ports
    socks = {p: open_port(p) for p in (pa, pb)}
    other = {pa: pb, pb: pa}
    nft("delete", "table", "bridge", TABLE, check=False)
    rules = (f"table bridge {TABLE} {{\n chain forward_gate {{\n"
             f"  type filter hook forward priority 0; policy accept;\n"
             f"  iifname {{ \"{pa}\", \"{pb}\" }} {NFT_MATCH} drop\n }}\n}}\n")
    subprocess.run(["nft", "-f", "-"], input=rules, check=True, text=True)

    def stop(*_):
        nft("delete", "table", "bridge", TABLE, check=False)
        note("stopped")
        sys.exit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    note("ready", pa, pb, f"hold={a.hold}")
    print("ready", flush=True)

    held = None  # (port it came in on, frame, when, message id)

    def send(*frames):  # (port it came in on, frame)...: out of the other port, back to back
        out = [(socks[other[port]][0], without_udp_checksum(frame)) for port, frame in frames]
        for sock, frame in out:
            sock.send(frame)

    by_fd = {s.fileno(): p for p, (s, _) in socks.items()}
    while True:
        timeout = None if held is None else max(0.0, held[2] + a.hold - time.monotonic())
        ready, _, _ = select.select(list(by_fd), [], [], timeout)
        if held is not None and time.monotonic() >= held[2] + a.hold:
            send((held[0], held[1]))
            note("timeout", held[0], f"{time.monotonic() - held[2]:.3f}")
            held = None
        for fd in ready:
            port = by_fd[fd]
            sock = socks[port][0]
            while True:
                try:
                    frame, addr = sock.recvfrom(65535)
                except BlockingIOError:
                    break
                if addr[2] == PACKET_OUTGOING:
                    continue  # our own sends, seen on the way out
                req = ike_request(frame)
                if req is None:
                    continue
                length, msgid = req
                if held is None:
                    held = (port, frame, time.monotonic(), msgid)
                    note("hold", port, length, msgid)
                elif held[0] == port:
                    if held[3] != msgid:  # a new request from the same side: the held one goes first
                        send((held[0], held[1]))
                        note("pass", held[0])
                        held = (port, frame, time.monotonic(), msgid)
                        note("hold", port, length, msgid)
                    # else a retransmission of the held request: one copy is enough
                else:
                    waited = time.monotonic() - held[2]
                    send((held[0], held[1]), (port, frame))
                    note("collision", held[0], port, length, f"{waited:.3f}")
                    held = None


if __name__ == "__main__":
    main()
