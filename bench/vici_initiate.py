#!/usr/bin/env python3
"""Asks a running charon to initiate many connections at once over its VICI socket, without waiting
for any of them: for bench/ike_rate_compare.sh, so strongSwan's IKE rate is timed from the moment
initiation is requested, with its configuration already loaded (as Isthmus's `initiate --all`).

Written from the protocol description in strongSwan's src/libcharon/plugins/vici/README.md: a stream of
segments, each a 32-bit big-endian length and then a packet; a request packet is type 0 (CMD_REQUEST),
an 8-bit name length and the command name, then the message, a sequence of elements; a key/value element
is type 3, an 8-bit key length and key, a 16-bit big-endian value length and value. `initiate` with
timeout -1 returns at once. Usage: vici_initiate.py SOCKET_PATH CHILD IKE_NAME...
"""
import socket
import struct
import sys

CMD_REQUEST, CMD_RESPONSE, CMD_UNKNOWN, EVENT = 0, 1, 2, 7
KEY_VALUE = 3


def request(name: str, items: dict) -> bytes:
    body = bytes([CMD_REQUEST, len(name)]) + name.encode()
    for k, v in items.items():
        kb, vb = k.encode(), v.encode()
        body += bytes([KEY_VALUE, len(kb)]) + kb + struct.pack("!H", len(vb)) + vb
    return struct.pack("!I", len(body)) + body


def read_exact(s: socket.socket, n: int) -> bytes:
    out = b""
    while len(out) < n:
        chunk = s.recv(n - len(out))
        if not chunk:
            raise ConnectionError("charon closed the VICI socket")
        out += chunk
    return out


def main() -> int:
    path, child, names = sys.argv[1], sys.argv[2], sys.argv[3:]
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    s.sendall(b"".join(request("initiate", {"child": child, "ike": n, "timeout": "-1", "init-limits": "no"})
                       for n in names))
    answered = 0
    while answered < len(names):
        (length,) = struct.unpack("!I", read_exact(s, 4))
        packet = read_exact(s, length)
        if packet[0] == CMD_UNKNOWN:
            print("charon does not know the initiate command", file=sys.stderr)
            return 1
        if packet[0] == CMD_RESPONSE:
            answered += 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
