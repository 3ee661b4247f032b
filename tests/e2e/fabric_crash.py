#!/usr/bin/env python3
"""isthmusd killed with -9 at random points during a stream of CLI mutations on the live fabric.

Run by fabric_crash_test.sh (which makes the state directory, the port, the namespace prefix and the
cleanup trap, and deploys a VNet-to-VNet pair whose tunnel must survive every crash). Here: WORKERS
threads each own a resource group and mutate it through `isthmus` (VNets, their subnets, public IPs:
create or delete, at random), keeping a model of what the server acknowledged. A killer thread kills
isthmusd with SIGKILL at random moments and starts it again. A mutation whose answer never came (the
daemon died under it) may or may not have happened: after the restart the worker reads that one
resource back and accepts either outcome, nothing else. At the end:
  - PRAGMA integrity_check of the database the last kill -9 left is "ok";
  - every resource is exactly as the models say (every acknowledged change is there, nothing else);
  - the fabric converges to exactly the store: one router namespace per VNet, no namespace of the prefix
    that the store does not account for, the gateways' processes are the ones the fabric reports (none
    orphaned, none doubled) and the VNet-to-VNet pair is still Connected.
Prints its figures (mutations, acknowledged, uncertain, kills, time) as one line.
"""
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time

ISTHMUS = os.environ["ISTHMUS"]
ISTHMUSD = os.environ["ISTHMUSD"]
STATE = os.environ["STATE"]
PORT = os.environ["PORT"]
PREFIX = os.environ["PREFIX"]
WORK = os.environ["WORK"]
TOTAL = int(os.environ.get("MUTATIONS", "1000"))
WORKERS = int(os.environ.get("WORKERS", "4"))
SEED = int(os.environ.get("SEED", str(random.randrange(1 << 30))))
VNETS, SUBNETS, IPS = 3, 3, 3

failures = []
lock = threading.Lock()


def fail(msg):
    with lock:
        failures.append(msg)


class Daemon:
    """The isthmusd under test: started, killed with -9, started again, on the same state and port."""

    def __init__(self, pid):
        self.pid = pid
        self.proc = None
        self.epoch = 0  # bumped at every restart
        self.up = threading.Event()
        self.up.set()
        self.kills = 0

    def kill9(self):
        self.up.clear()
        os.kill(self.pid, signal.SIGKILL)
        if self.proc:
            self.proc.wait()
        else:
            for _ in range(100):
                try:
                    os.kill(self.pid, 0)
                except ProcessLookupError:
                    break
                time.sleep(0.02)
        self.kills += 1

    def start(self):
        log = open(os.path.join(WORK, "isthmusd.log"), "ab")
        self.proc = subprocess.Popen(
            [ISTHMUSD, "--fabric-prefix", PREFIX, "--listen", "127.0.0.1:" + PORT, "--state-dir", STATE],
            stdout=log, stderr=log, start_new_session=True)
        self.pid = self.proc.pid
        with open(os.path.join(WORK, "daemon.pid"), "w") as f:
            f.write(str(self.pid))
        deadline = time.time() + 20
        while time.time() < deadline:
            if self.proc.poll() is not None:
                fail("isthmusd exited at start after a kill -9 (see isthmusd.log)")
                return
            r = subprocess.run([ISTHMUS, "group", "list", "-o", "none"], capture_output=True)
            if r.returncode == 0:
                self.epoch += 1
                self.up.set()
                return
            time.sleep(0.1)
        fail("isthmusd did not answer within 20 s of a restart")


def cli(*args):
    r = subprocess.run([ISTHMUS, *args], capture_output=True, text=True, timeout=120)
    return r.returncode, r.stdout, r.stderr


def must(*args):
    rc, out, err = cli(*args)
    if rc != 0:
        raise RuntimeError(f"isthmus {' '.join(args)} exited {rc}: {err.strip()}")
    return out


def lost_connection(err):
    # What the CLI says when isthmusd went away under it or is not there (cli/http_transport.cc).
    return any(s in err for s in ("cannot reach isthmusd", "ClientConnectionError", "connection", "Connection"))


class Worker:
    """Owns group Churn<i>: VNets w<i>v<k> (10.<100+i*VNETS+k>.0.0/16) with subnets s<j>, public IPs w<i>p<k>."""

    def __init__(self, i, daemon, rng):
        self.i, self.daemon, self.rng = i, daemon, rng
        self.rg = f"Churn{i}"
        self.vnets = {}  # name -> set of subnet names (present VNets only)
        self.ips = set()
        self.done = self.acked = self.uncertain = self.refused = 0

    def actual_vnet(self, name):
        rc, out, err = cli("network", "vnet", "show", "-g", self.rg, "-n", name, "-o", "json")
        if rc != 0:
            if "ResourceNotFound" in err or "was not found" in err:
                return None
            raise RuntimeError(f"vnet show {name}: {err.strip()}")
        doc = json.loads(out)
        return {s["name"] for s in doc.get("subnets", [])}

    def actual_ip(self, name):
        rc, out, err = cli("network", "public-ip", "show", "-g", self.rg, "-n", name, "-o", "json")
        if rc != 0:
            if "ResourceNotFound" in err or "was not found" in err:
                return False
            raise RuntimeError(f"public-ip show {name}: {err.strip()}")
        return True

    def step(self):
        r = self.rng.random()
        k = self.rng.randrange(VNETS)
        vnet = f"w{self.i}v{k}"
        octet = 100 + self.i * VNETS + k
        if r < 0.45:
            if vnet not in self.vnets:
                args = ("network", "vnet", "create", "-g", self.rg, "-n", vnet, "--address-prefixes",
                        f"10.{octet}.0.0/16")
                before, after = None, set()
            else:
                args = ("network", "vnet", "delete", "-g", self.rg, "-n", vnet)
                before, after = set(self.vnets[vnet]), None
            return self.apply(args, "vnet", vnet, before, after)
        if r < 0.8 and vnet in self.vnets:
            j = self.rng.randrange(SUBNETS)
            sub = f"s{j}"
            have = set(self.vnets[vnet])
            if sub in have:
                args = ("network", "vnet", "subnet", "delete", "-g", self.rg, "--vnet-name", vnet, "-n", sub)
                after = have - {sub}
            else:
                args = ("network", "vnet", "subnet", "create", "-g", self.rg, "--vnet-name", vnet, "-n", sub,
                        "--address-prefixes", f"10.{octet}.{j}.0/24")
                after = have | {sub}
            return self.apply(args, "vnet", vnet, have, after)
        ip = f"w{self.i}p{k}"
        if ip in self.ips:
            return self.apply(("network", "public-ip", "delete", "-g", self.rg, "-n", ip), "ip", ip, True, False)
        return self.apply(("network", "public-ip", "create", "-g", self.rg, "-n", ip), "ip", ip, False, True)

    def set_model(self, kind, name, value):
        if kind == "vnet":
            if value is None:
                self.vnets.pop(name, None)
            else:
                self.vnets[name] = set(value)
        elif value:
            self.ips.add(name)
        else:
            self.ips.discard(name)

    def apply(self, args, kind, name, before, after):
        epoch = self.daemon.epoch
        rc, _, err = cli(*args, "-o", "none")
        self.done += 1
        if rc == 0:
            self.acked += 1
            self.set_model(kind, name, after)
            return
        if self.daemon.epoch == epoch and self.daemon.up.is_set() and not lost_connection(err):
            # Refused while the daemon was up: the model says the change is valid, so this is a bug —
            # unless it raced with a restart that finished between our two looks.
            fail(f"{' '.join(args)} refused with the daemon up: {err.strip()[:300]}")
            self.refused += 1
            return
        # No answer: it may or may not have happened. Read it back once the daemon is up again.
        self.uncertain += 1
        self.daemon.up.wait(30)
        for _ in range(50):
            try:
                now = self.actual_vnet(name) if kind == "vnet" else self.actual_ip(name)
                break
            except RuntimeError:
                self.daemon.up.wait(30)
                time.sleep(0.1)
        else:
            fail(f"could not read {kind} {name} back after a crash")
            return
        if now != before and now != after:
            fail(f"{kind} {name} after an unanswered '{' '.join(args[:4])}': {now}, neither {before} nor {after}")
        self.set_model(kind, name, now)

    def verify(self):
        out = json.loads(must("network", "vnet", "list", "-g", self.rg, "-o", "json"))
        actual = {v["name"]: {s["name"] for s in v.get("subnets", [])} for v in out}
        if actual != self.vnets:
            fail(f"{self.rg}: VNets are {sorted((k, sorted(v)) for k, v in actual.items())}, "
                 f"acknowledged {sorted((k, sorted(v)) for k, v in self.vnets.items())}")
        ips = {p["name"] for p in json.loads(must("network", "public-ip", "list", "-g", self.rg, "-o", "json"))}
        if ips != self.ips:
            fail(f"{self.rg}: public IPs are {sorted(ips)}, acknowledged {sorted(self.ips)}")


def integrity(db):
    con = sqlite3.connect(db)
    try:
        return [r[0] for r in con.execute("PRAGMA integrity_check")]
    finally:
        con.close()


def converged(expected_vnets):
    status = json.loads(must("fabric", "status", "-o", "json"))
    ns = status["namespaces"]
    problems = []
    undeclared = [n["name"] for n in ns if n["role"] == "undeclared"]
    missing = [n["name"] for n in ns if not n["exists"]]
    routers = [n for n in ns if n["role"] == "vnet-router"]
    if undeclared:
        problems.append(f"undeclared namespaces {undeclared}")
    if missing:
        problems.append(f"declared but missing {missing}")
    if len(routers) != expected_vnets:
        problems.append(f"{len(routers)} VNet routers, the store has {expected_vnets} VNets")
    listed = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout.split("\n")
    host = {l.split()[0] for l in listed if l.startswith(PREFIX)}
    declared = {n["name"] for n in ns}
    if host != declared:
        problems.append(f"host namespaces {sorted(host - declared)} not declared, {sorted(declared - host)} absent")
    gws = status["gateways"]
    pids = {g["pid"] for g in gws if g["running"]}
    procs = subprocess.run(["pgrep", "-f", f"{STATE}/fabric/gw-"], capture_output=True, text=True).stdout.split()
    if len(gws) != 2 or pids != {int(p) for p in procs}:
        problems.append(f"gateway processes {sorted(procs)}, the fabric runs {sorted(pids)} for {len(gws)} gateways")
    daemons = subprocess.run(["pgrep", "-f", f"isthmusd .*--state-dir {STATE}"], capture_output=True,
                             text=True).stdout.split()
    if len(daemons) != 1:
        problems.append(f"{len(daemons)} isthmusd processes on this state directory")
    return problems


def main():
    rng = random.Random(SEED)
    daemon = Daemon(int(open(os.path.join(WORK, "daemon.pid")).read()))
    workers = [Worker(i, daemon, random.Random(rng.random())) for i in range(WORKERS)]
    for w in workers:
        must("group", "create", "-n", w.rg, "-l", "eastus")
    per = TOTAL // WORKERS
    stop = threading.Event()
    t0 = time.time()

    def run(w):
        try:
            while w.done < per and not failures:
                w.step()
        except Exception as e:  # a CLI that hung, a read-back that never worked
            fail(f"worker {w.i}: {e}")

    def killer():
        krng = random.Random(rng.random())
        while not stop.is_set():
            if stop.wait(krng.uniform(0.5, 3.0)):
                break
            daemon.kill9()
            time.sleep(krng.uniform(0.0, 0.3))
            daemon.start()

    threads = [threading.Thread(target=run, args=(w,)) for w in workers]
    kt = threading.Thread(target=killer)
    for t in threads:
        t.start()
    kt.start()
    for t in threads:
        t.join()
    stop.set()
    kt.join()
    took = time.time() - t0

    # The last kill -9: the database it leaves must be intact.
    daemon.kill9()
    check = integrity(os.path.join(STATE, "isthmus.db"))
    if check != ["ok"]:
        fail(f"PRAGMA integrity_check: {check}")
    daemon.start()
    for w in workers:
        w.verify()
    expected = sum(len(w.vnets) for w in workers) + 2  # and the pair's VNet1 and VNet4
    problems = []
    deadline = time.time() + 60
    while time.time() < deadline:
        problems = converged(expected)
        if not problems:
            break
        time.sleep(0.5)
    for p in problems:
        fail("fabric: " + p)
    for conn in ("VNet1ToVNet4", "VNet4ToVNet1"):
        s = must("network", "vpn-connection", "show", "-g", "V2V", "-n", conn, "--query", "connectionStatus",
                 "-o", "tsv").strip()
        if s != "Connected":
            fail(f"{conn} is {s} after the crashes")
    done = sum(w.done for w in workers)
    acked = sum(w.acked for w in workers)
    uncertain = sum(w.uncertain for w in workers)
    with open(os.path.join(WORK, "daemon.pid"), "w") as f:
        f.write(str(daemon.pid))
    if failures:
        for f in failures[:20]:
            print("FAIL:", f, file=sys.stderr)
        print(f"fabric_crash: seed {SEED} (SEED={SEED} repeats this run's choices)", file=sys.stderr)
        return 1
    print(f"fabric_crash: seed {SEED}: {done} CLI mutations in {took:.1f} s ({done / took:.0f}/s), {acked} "
          f"acknowledged and all there, {uncertain} unanswered (read back: before or after, never anything "
          f"else), {daemon.kills} kill -9, integrity_check ok, the fabric converged to the store "
          f"({expected} VNet routers, 2 gateways, no orphan), the VNet-to-VNet pair Connected")
    return 0


if __name__ == "__main__":
    sys.exit(main())
