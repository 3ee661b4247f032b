#!/usr/bin/env python3
"""Watches isthmusd's REST API and records when each resource first reached a state (for
bench/fabric_scale.sh): provisioningState Succeeded per resource, connectionStatus Connected per
connection. Polls every 50 ms until every expected resource got there or the time is up, then writes
{"succeeded": {id: t}, "connected": {id: t}} (t in seconds since the epoch) to OUT.

Usage: fabric_watch.py ENDPOINT TOKEN_FILE SUBSCRIPTION OUT EXPECT_RESOURCES EXPECT_CONNECTIONS TIMEOUT_S
"""
import json
import sys
import time
import os
import ssl
import urllib.request

KINDS = [
    ("Microsoft.Network", "virtualNetworks", "2023-09-01"),
    ("Microsoft.Network", "publicIPAddresses", "2023-09-01"),
    ("Microsoft.Network", "virtualNetworkGateways", "2023-09-01"),
    ("Microsoft.Network", "connections", "2023-09-01"),
    ("Microsoft.Network", "networkInterfaces", "2023-09-01"),
    ("Microsoft.Compute", "virtualMachines", "2024-07-01"),
]


def main():
    endpoint, token_file, sub, out = sys.argv[1:5]
    want_resources, want_connections, timeout = int(sys.argv[5]), int(sys.argv[6]), float(sys.argv[7])
    token = open(token_file).read().strip()
    # isthmusd's own CA, next to the token in its state directory.
    tls = ssl.create_default_context(cafile=os.path.join(os.path.dirname(token_file), "tls", "ca.pem"))
    succeeded, connected = {}, {}
    deadline = time.time() + timeout
    while time.time() < deadline:
        for provider, kind, version in KINDS:
            url = f"{endpoint}/subscriptions/{sub}/providers/{provider}/{kind}?api-version={version}"
            req = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
            try:
                with urllib.request.urlopen(req, timeout=5, context=tls) as r:
                    items = json.load(r).get("value", [])
            except Exception:  # isthmusd busy or restarting: try again next round
                continue
            now = time.time()
            for it in items:
                props = it.get("properties", {})
                rid = it["id"].lower()
                if props.get("provisioningState") == "Succeeded":
                    succeeded.setdefault(rid, now)
                if kind == "connections" and props.get("connectionStatus") == "Connected":
                    connected.setdefault(rid, now)
        if len(succeeded) >= want_resources and len(connected) >= want_connections:
            break
        time.sleep(0.05)
    with open(out, "w") as f:
        json.dump({"succeeded": succeeded, "connected": connected}, f)


if __name__ == "__main__":
    main()
