#!/usr/bin/env bash
# A compressed soak of two isthmus-gateways: CHILD SA lifetime 10 s (and the IKE SA's 60 s, the
# configuration's minimums) under a TCP stream for DURATION seconds, so a day's worth of rekeys happen in
# minutes. Every SAMPLE seconds both gateways are sampled: resident memory, open file descriptors, threads,
# installed CHILD SAs, rekey counts, drop counters. Prints the samples, then the verdicts:
#   memory   RSS over the second half of the run grows by less than 5 % (no leak per rekey);
#   fds      the descriptor count at the end equals the one after the first minute;
#   SAs      at most 2 CHILD SAs per side at any sample (old and new during a rekey), 1 at the end;
#   loss     no packet dropped as unknown_spi/replayed/bad_icv/too_old on either side (nothing lost to a
#            rekey), no one-second interval of the stream below a tenth of the median.
# Exit 0 when every verdict holds. Figures go to docs/reliability.md.
#   bench/gateway_soak.sh [DURATION=600] [BUILD_DIR=build/release] [SAMPLE=10]
# Root (network namespaces); bounded by DURATION + 60 s; everything it makes goes at exit, even on failure.
set -euo pipefail
DURATION=${1:-600}
BUILD=${2:-build/release}
SAMPLE=${3:-10}
cd "$(dirname "$0")/.."
GW=$PWD/$BUILD/apps/isthmus-gateway/isthmus-gateway
[[ -x $GW ]] || { echo "gateway_soak: $GW is missing: cmake --build --preset release" >&2; exit 2; }
((DURATION >= 60)) || { echo "gateway_soak: DURATION must be at least 60 s" >&2; exit 2; }
source tests/lib/netns.sh
e2e_init
ns_topology_two_sites

PSK=soak-psk-$RANDOM$RANDOM
LIFETIMES='"ike_lifetime_s": 60, "child_lifetime_s": 10'
gw_config to-b 198.18.0.2 198.18.0.3 10.1.0.0/16 10.2.0.0/16 initiator "$PSK" "$LIFETIMES" >"$WORK/a.json"
gw_config to-a 198.18.0.3 198.18.0.2 10.2.0.0/16 10.1.0.0/16 responder "$PSK" "$LIFETIMES" >"$WORK/b.json"
ns_spawn gwB "$WORK/gwB.log" "$GW" --config "$WORK/b.json"
PID_B=$NS_LAST_PID
wait_for 10 test -S "$WORK/to-a.sock" || fail "gwB did not start"
ns_spawn gwA "$WORK/gwA.log" "$GW" --config "$WORK/a.json"
PID_A=$NS_LAST_PID
wait_for 10 test -S "$WORK/to-b.sock" || fail "gwA did not start"
status() { "$GW" status --socket "$WORK/$1.sock"; }
connected() { status "$1" | grep -q '"state": *"Connected"'; }
wait_for 15 connected to-b || fail "gwA not Connected"

ns_spawn hostB "$WORK/iperf-server.log" iperf3 -s
sleep 0.5
echo "gateway_soak: ${DURATION} s, CHILD lifetime 10 s, IKE lifetime 60 s, a TCP stream hostA -> hostB, $(nproc) cores"
ns_exec hostA timeout $((DURATION + 30)) iperf3 -c 10.2.0.10 -t "$DURATION" -i 1 -J >"$WORK/iperf.json" 2>"$WORK/iperf.err" &
IPERF=$!

sample() {  # sample T: one line per gateway into samples.tsv
  local t=$1 side pid sock
  for side in A B; do
    if [[ $side == A ]]; then pid=$PID_A sock=to-b; else pid=$PID_B sock=to-a; fi
    local rss fds threads
    rss=$(awk '/^VmRSS:/ {print $2}' "/proc/$pid/status")
    threads=$(awk '/^Threads:/ {print $2}' "/proc/$pid/status")
    fds=$(find "/proc/$pid/fd" -mindepth 1 -maxdepth 1 | wc -l)
    status "$sock" | python3 -c '
import json, sys
t, side, rss, fds, threads = sys.argv[1:6]
d = json.load(sys.stdin)
c = d["connections"][0]
drops = {}
for src in [d.get("drops", {}), c.get("drops", {})]:
    for k, v in src.items():
        drops[k] = drops.get(k, 0) + v
lost = sum(drops.get(k, 0) for k in ("unknown_spi", "replayed", "bad_icv", "too_old"))
print("\t".join(map(str, [t, side, rss, fds, threads, len(c.get("children", [])), c.get("child_rekeys", 0),
                          c.get("ike_rekeys", 0), lost, c.get("state", "?")])))' "$t" "$side" "$rss" "$fds" "$threads" \
      >>"$WORK/samples.tsv"
  done
}

t0=$SECONDS
while kill -0 "$IPERF" 2>/dev/null && ((SECONDS - t0 < DURATION + 20)); do
  sample $((SECONDS - t0))
  sleep "$SAMPLE"
done
wait "$IPERF" || fail "iperf3 failed: $(cat "$WORK/iperf.err")"
sample $((SECONDS - t0))

python3 - "$WORK/samples.tsv" "$WORK/iperf.json" "$DURATION" <<'PY'
import json, statistics, sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1])]
duration = int(sys.argv[3])
print("   t side  RSS KiB  fds  threads  CHILD SAs  CHILD rekeys  IKE rekeys  lost  state")
for t, side, rss, fds, thr, ch, cr, ir, lost, st in rows:
    print(f"{int(t):4d}  {side}  {int(rss):8d} {int(fds):4d} {int(thr):8d} {int(ch):10d} {int(cr):13d} {int(ir):11d} {int(lost):5d}  {st}")
ok = True
for side in "AB":
    r = [x for x in rows if x[1] == side]
    half = [int(x[2]) for x in r if int(x[0]) >= duration // 2]
    after_minute = [x for x in r if int(x[0]) >= 60]
    growth = (max(half) - min(half)) / min(half) * 100 if half else 0
    fds0 = int(after_minute[0][3]) if after_minute else int(r[0][3])
    fds1 = int(r[-1][3])
    max_sas = max(int(x[5]) for x in r)
    lost = int(r[-1][8])
    rekeys = int(r[-1][6])
    verdicts = {
        "memory": growth < 5,
        "fds": fds1 == fds0,
        "SAs": max_sas <= 2 and int(r[-1][5]) == 1,
        "loss": lost == 0,
        "state": all(x[9] == "Connected" for x in r),
    }
    ok &= all(verdicts.values())
    print(f"gw{side}: RSS {r[0][2]} -> {r[-1][2]} KiB (second half {growth:.1f} % spread), fds {fds0} -> {fds1}, "
          f"CHILD SAs <= {max_sas}, {rekeys} CHILD rekeys, {r[-1][7]} IKE rekeys, lost {lost}: "
          + ", ".join(f"{k} {'ok' if v else 'FAIL'}" for k, v in verdicts.items()))
j = json.load(open(sys.argv[2]))
per_s = [iv["sum"]["bits_per_second"] for iv in j["intervals"]]
med, low = statistics.median(per_s), min(per_s)
stall = low < med / 10
ok &= not stall
print(f"stream: {len(per_s)} s, median {med/1e9:.2f} Gbit/s, lowest second {low/1e9:.2f}, "
      f"TCP retransmits {j['end']['sum_sent'].get('retransmits')}: {'FAIL (a stall)' if stall else 'no stall'}")
sys.exit(0 if ok else 1)
PY
