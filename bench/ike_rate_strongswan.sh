#!/usr/bin/env bash
# strongSwan-to-strongSwan IKE rate, for comparison with bench/ike_rate (issue 3): N connections with
# distinct identities are loaded on the initiator with start_action=start, so charon initiates them all at
# once; the responder has DoS protection lifted (notes/this-machine.md). We poll `swanctl --stats` (its
# own cost is outside the measured work) until N IKE SAs are established and print SAs per second and
# the CPU both charons spent per SA. Usage: bench/ike_rate_strongswan.sh [N] [proposal]   (root)
set -euo pipefail
N=${1:-500}
PROPOSAL=${2:-aes256gcm16-prfsha256-ecp256}
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../tests/lib/netns.sh"
source "$here/../tests/lib/strongswan.sh"
[[ $(id -u) -eq 0 ]] || { echo "needs root"; exit 1; }
ns_init
work=$(mktemp -d /tmp/isthmus-ikerate.XXXXXX)
ns_on_cleanup "rm -rf '$work'"
ns_add a
ns_add b
ns_veth a wan0 198.18.0.2/24 b wan0 198.18.0.3/24

conf() {  # SIDE(a|b)
  local me=$1 peer local_addr remote_addr start
  if [[ $me == a ]]; then peer=b local_addr=198.18.0.2 remote_addr=198.18.0.3 start=start
  else peer=a local_addr=198.18.0.3 remote_addr=198.18.0.2 start=none; fi
  echo "connections {"
  for ((i = 0; i < N; i++)); do
    local x=$((i / 250)) y=$((i % 250 + 1))
    local lts rts
    if [[ $me == a ]]; then lts=10.1.$x.$y/32 rts=10.2.$x.$y/32; else lts=10.2.$x.$y/32 rts=10.1.$x.$y/32; fi
    cat <<CONF
  c$i {
    version = 2
    local_addrs = $local_addr
    remote_addrs = $remote_addr
    encap = yes
    proposals = $PROPOSAL
    local { auth = psk
            id = c$i@$me }
    remote { auth = psk
             id = c$i@$peer }
    children { net { local_ts = $lts
                     remote_ts = $rts
                     esp_proposals = aes256gcm16
                     start_action = $start } }
  }
CONF
  done
  echo "}"
  echo "secrets {"
  for ((i = 0; i < N; i++)); do
    echo "  ike-$i { id-1 = c$i@a
           id-2 = c$i@b
           secret = \"bench-psk-$i\" }"
  done
  echo "}"
}

mkdir -p "$work/a" "$work/b"
sw_start b "$work/b"
pid_b=$SW_PID
sw_start a "$work/a"
pid_a=$SW_PID
conf b | sw_conf "$work/b"
sw_load b "$work/b"
conf a | sw_conf "$work/a"

cpu() { awk '{print $14 + $15}' "/proc/$1/stat"; }  # utime + stime, clock ticks
hz=$(getconf CLK_TCK)
c0=$(( $(cpu "$pid_a") + $(cpu "$pid_b") ))
t0=$(date +%s.%N)
sw_load a "$work/a"   # start_action=start: charon initiates all N now
established=0
deadline=$((SECONDS + 120))
while ((SECONDS < deadline)); do
  # "IKE_SAs: 500 total, 3 half-open": established = total - half-open
  established=$(sw_swanctl a "$work/a" --stats 2>/dev/null | awk '/IKE_SAs:/ {print $2 - $4; exit}')
  ((established >= N)) && break
  sleep 0.05
done
t1=$(date +%s.%N)
c1=$(( $(cpu "$pid_a") + $(cpu "$pid_b") ))
python3 - "$N" "$established" "$t0" "$t1" "$c0" "$c1" "$hz" "$PROPOSAL" <<'PY'
import sys
n, est, t0, t1, c0, c1, hz, prop = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6]), int(sys.argv[7]), sys.argv[8]
dt = t1 - t0
cpu = (c1 - c0) / hz
print(f"strongSwan<->strongSwan {prop}: {est}/{n} IKE+CHILD SAs in {dt:.2f} s = {est/dt:.0f} SA/s, "
      f"{1000*cpu/max(est,1):.2f} ms CPU per SA (both charons; includes config load)")
PY
