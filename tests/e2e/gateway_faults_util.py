#!/usr/bin/env python3
"""Checks and small tools for gateway_faults_test.sh (root, run inside the test's namespaces).

  gateway_faults_util.py pair STATUS_A STATUS_B LOG_A LOG_B
      One IKE SA and one CHILD SA pair on each side, and the same ones: both Connected, the same IKE
      SPIs, exactly one CHILD SA in each status, A's inbound SPI is B's outbound and the reverse, and
      the CHILD SAs each gateway's log says are installed (installed minus deleted/removed) are exactly
      that pair. Prints one line; exit 1 (with the reason) otherwise.
  gateway_faults_util.py settle LOG SECONDS
      From one gateway's log: after every CHILD SA installation, the number of installed CHILD SAs is
      back to one within SECONDS (make-before-break leaves two for a moment, never longer), and it is
      one at the end; and an IKE SA found redundant after a rekey collision (RFC 7296 §2.8.1) is being
      deleted within SECONDS of the rekey. Prints the installations, the longest overlap and the
      collisions resolved.
  gateway_faults_util.py ike-sent PCAP T0
      The IKE requests in a capture after wall-clock time T0: "+seconds exchange message-id" each (what
      a liveness check and its retransmissions look like on the wire).
  gateway_faults_util.py wire PCAP STATUS
      The SAs seen in a capture of UDP 4500: every ESP SPI and IKE SPI pair must be those of the one
      IKE SA and CHILD SA pair in STATUS (one gateway's status); exit 1 if another one shows.
  gateway_faults_util.py ct-flush
      Flushes the conntrack table of the current network namespace (ctnetlink, as `conntrack -F`
      does), so the next packet of a NATed flow gets a new mapping.
  gateway_faults_util.py iperf JSON MIN_INTERVALS
      The one-second intervals of an iperf3 -J run: median, lowest; exit 1 if fewer than MIN_INTERVALS
      or one carries less than a tenth of the median (a stall).
  gateway_faults_util.py drops STATUS
      Every drop counter of one gateway (connection, each CHILD SA, the workers) that is not zero;
      exit 1 if there is one.
"""
import datetime
import json
import re
import socket
import statistics
import struct
import sys

INSTALLED = re.compile(r"CHILD SA installed \(in ([0-9a-f]{8}) out ([0-9a-f]{8})")
GONE = re.compile(r"CHILD SA (?:deleted|removed) \(in ([0-9a-f]{8}), out ([0-9a-f]{8})\)")
STAMP = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3})")
IKE_REKEYED = "IKE SA rekeyed ("  # our own rekey's new SA (the peer's is "IKE SA rekeyed by peer")
IKE_REDUNDANT = "IKE SA deleting (redundant after rekey collision"


def stamp(line):
    m = STAMP.match(line)
    return datetime.datetime.fromisoformat(m.group(1)).timestamp() if m else 0.0


def pcap_frames(path):
    """(seconds, IPv4 packet) for each Ethernet frame of a classic pcap file."""
    d = open(path, "rb").read()
    off = 24
    while off + 16 <= len(d):
        sec, usec, incl = struct.unpack("<III", d[off:off + 12])
        frame = d[off + 16:off + 16 + incl]
        off += 16 + incl
        if len(frame) > 14 + 20 and frame[12:14] == b"\x08\x00":
            yield sec + usec / 1e6, frame[14:]


def udp_payload(ip):
    ihl = (ip[0] & 15) * 4
    if ip[9] != 17:
        return None, None
    return struct.unpack("!H", ip[ihl + 2:ihl + 4])[0], ip[ihl + 8:]


def child_events(log_path):
    """[(seconds, '+'|'-', inbound SPI, outbound SPI, line)] in log order."""
    out = []
    for line in open(log_path, errors="replace"):
        t = stamp(line)
        if i := INSTALLED.search(line):
            out.append((t, "+", i.group(1), i.group(2), line.strip()))
        elif g := GONE.search(line):
            out.append((t, "-", g.group(1), g.group(2), line.strip()))
    return out


def live_children(log_path):
    live = {}
    for _, kind, spi_in, spi_out, _ in child_events(log_path):
        if kind == "+":
            live[spi_in] = spi_out
        else:
            live.pop(spi_in, None)
    return live


def cmd_pair(a_path, b_path, log_a, log_b):
    a = json.load(open(a_path))["connections"][0]
    b = json.load(open(b_path))["connections"][0]
    problems = []
    for side, c in (("A", a), ("B", b)):
        if c["state"] != "Connected":
            problems.append(f"{side} is {c['state']} ({c.get('last_error', '')})")
        if len(c.get("children", [])) != 1:
            problems.append(f"{side} shows {len(c.get('children', []))} CHILD SAs")
    if not problems:
        ia, ib = a["ike_sa"], b["ike_sa"]
        if (ia["spi_i"], ia["spi_r"]) != (ib["spi_i"], ib["spi_r"]):
            problems.append(f"IKE SAs differ: A {ia['spi_i']}_{ia['spi_r']}, B {ib['spi_i']}_{ib['spi_r']}")
        ka, kb = a["children"][0], b["children"][0]
        if ka["inbound_spi"] != kb["outbound_spi"] or ka["outbound_spi"] != kb["inbound_spi"]:
            problems.append(f"CHILD SPIs do not cross: A in {ka['inbound_spi']} out {ka['outbound_spi']}, "
                            f"B in {kb['inbound_spi']} out {kb['outbound_spi']}")
        for side, log, k in (("A", log_a, ka), ("B", log_b, kb)):
            live = live_children(log)
            if live != {k["inbound_spi"]: k["outbound_spi"]}:
                problems.append(f"{side}'s log has CHILD SAs installed {live} (status shows in "
                                f"{k['inbound_spi']} out {k['outbound_spi']})")
    if problems:
        print("; ".join(problems))
        return 1
    role = "initiator" if a["ike_sa"]["initiator"] else "responder"
    print(f"IKE {a['ike_sa']['spi_i']}_{a['ike_sa']['spi_r']} (A {role}), CHILD A in "
          f"{a['children'][0]['inbound_spi']} = B out, B in {b['children'][0]['inbound_spi']} = A out")
    return 0


def cmd_settle(log_path, seconds):
    seconds = float(seconds)
    events = child_events(log_path)
    live = {}
    timeline = []  # (t, count after the event)
    for t, kind, spi_in, spi_out, _ in events:
        if kind == "+":
            live[spi_in] = spi_out
        else:
            live.pop(spi_in, None)
        timeline.append((t, len(live)))
    installs = [t for t, kind, *_ in events if kind == "+"]
    worst, bad = 0.0, []
    for t0 in installs:
        # From this installation on, when is the count back to one?
        back = None
        for t, n in timeline:
            if t >= t0 and n <= 1:
                back = t
                break
        if back is None:
            bad.append(f"after the installation at {t0:.3f} the count never went back to one")
            continue
        worst = max(worst, back - t0)
        if back - t0 > seconds:
            bad.append(f"{back - t0:.3f} s with more than one CHILD SA after {t0:.3f}")
    last_rekey = None
    for line in open(log_path, errors="replace"):
        if IKE_REKEYED in line:
            last_rekey = stamp(line)
        elif IKE_REDUNDANT in line and last_rekey is not None:
            late = stamp(line) - last_rekey
            print(f"redundant IKE SA deleted {late:.3f} s after the IKE rekey collision")
            if late > seconds:
                bad.append(f"the redundant IKE SA of a rekey collision lived on for {late:.3f} s "
                           f"before its Delete went out")
    peak = max((n for _, n in timeline), default=0)
    collisions = sum("redundant after rekey collision" in line for *_, line in events)
    print(f"{len(installs)} CHILD SA installations, longest overlap {worst:.3f} s, at most {peak} at once, "
          f"{collisions} collision(s) resolved here, {len(live)} installed now")
    if len(live) != 1:
        bad.append(f"{len(live)} CHILD SAs installed at the end: {live}")
    if bad:
        print("  " + "\n  ".join(bad))
        return 1
    return 0


def cmd_ike_sent(path, t0):
    t0, sent = float(t0), []
    for t, ip in pcap_frames(path):
        port, p = udp_payload(ip)
        if p is None:
            continue
        ike = p[4:] if port == 4500 else p
        if t > t0 and len(ike) >= 28 and not ike[19] & 0x20:
            sent.append(f"+{t - t0:.1f} s exchange {ike[18]} msgid {struct.unpack('!I', ike[20:24])[0]}")
    print(", ".join(sent) or "none")
    return 0


def cmd_wire(path, status_path):
    c = json.load(open(status_path))["connections"][0]
    want_esp = {c["children"][0]["inbound_spi"], c["children"][0]["outbound_spi"]}
    want_ike = f"{c['ike_sa']['spi_i']}_{c['ike_sa']['spi_r']}"
    esp, ike = {}, {}
    for _, ip in pcap_frames(path):
        _, p = udp_payload(ip)
        if p is None or len(p) < 8:
            continue  # NAT keepalives (one octet 0xff)
        if p[:4] != b"\0\0\0\0":
            esp[p[:4].hex()] = esp.get(p[:4].hex(), 0) + 1
        elif len(p) >= 20:
            k = f"{p[4:12].hex()}_{p[12:20].hex()}"
            ike[k] = ike.get(k, 0) + 1
    print(f"ESP SPIs {esp or 'none'}, IKE SAs {ike or 'none'}")
    return 1 if set(esp) - want_esp or set(ike) - {want_ike} else 0


def cmd_ct_flush():
    # NETLINK_NETFILTER, NFNL_SUBSYS_CTNETLINK << 8 | IPCTNL_MSG_CT_DELETE with no tuple: flush all.
    s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 12)
    s.bind((0, 0))
    body = struct.pack("BBH", socket.AF_INET, 0, 0)
    msg = struct.pack("=IHHII", 16 + len(body), (1 << 8) | 2, 0x1 | 0x4, 1, 0) + body  # REQUEST|ACK
    s.send(msg)
    reply = s.recv(4096)
    _, mtype, _, _, _ = struct.unpack("=IHHII", reply[:16])
    err = struct.unpack("=i", reply[16:20])[0] if mtype == 2 else 0  # NLMSG_ERROR carries errno
    if err:
        print(f"ctnetlink flush failed: errno {-err}")
        return 1
    return 0


def cmd_iperf(path, min_intervals):
    j = json.load(open(path))
    per_s = [iv["sum"]["bits_per_second"] for iv in j["intervals"]]
    med = statistics.median(per_s)
    low = min(per_s)
    worst = per_s.index(low)
    print(f"{len(per_s)} one-second intervals: median {med / 1e9:.2f} Gbit/s, lowest {low / 1e9:.2f} "
          f"(second {worst + 1}), retransmits {j['end']['sum_sent'].get('retransmits')}, "
          f"total {j['end']['sum_received']['bytes'] / 1e9:.1f} GB")
    return 0 if len(per_s) >= int(min_intervals) and low >= med / 10 else 1


def cmd_drops(path):
    st = json.load(open(path))
    drops = {}

    def add(where, d):
        for reason, n in (d or {}).items():
            if n:
                drops[f"{where}:{reason}"] = drops.get(f"{where}:{reason}", 0) + n

    for c in st["connections"]:
        add("connection", c.get("drops"))
        for ch in c.get("children", []):
            add("sa", ch.get("drops"))
    add("worker", st.get("drops"))
    print(json.dumps(drops) if drops else "none")
    return 1 if drops else 0


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    fn = {"pair": cmd_pair, "settle": cmd_settle, "ike-sent": cmd_ike_sent, "wire": cmd_wire,
          "ct-flush": cmd_ct_flush, "iperf": cmd_iperf, "drops": cmd_drops}[cmd]
    return fn(*args)


if __name__ == "__main__":
    sys.exit(main())
