# Network-namespace topologies for end-to-end tests. Source it; it installs an EXIT trap that kills what
# the test started and deletes the namespaces it made, even when the test fails.
#
#   ns_init                      per-run prefix (names never collide between runs), cleanup trap
#   ns_add NAME                  namespace ${NS_PREFIX}NAME with lo up
#   ns_veth A IFA ADDRA B IFB ADDRB   a veth pair between namespaces A and B, addresses with /len
#   ns_exec NAME cmd...          run in a namespace
#   ns_spawn NAME LOG cmd...     start in the background, remember the pid for cleanup (in NS_LAST_PID)
#   ns_forwarding NAME           ip_forward=1, rp_filter=0 (what a gateway needs)
#   e2e_init, fail, gw_config    the common start of a gateway test (below)
set -euo pipefail

NS_PREFIX=""
NS_CREATED=()
NS_PIDS=()
NS_CLEANUPS=()

ns_init() {
  NS_PREFIX="ist$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')-"
  trap ns_cleanup EXIT
}

ns_on_cleanup() { NS_CLEANUPS+=("$*"); }

# The common start of an end-to-end test: skips (77) without root, ns_init, a work directory WORK
# removed at exit, and fail MSG… which prints the tail of every WORK/*.log and exits 1.
e2e_init() {
  [[ $(id -u) -eq 0 ]] || { echo "SKIP: needs root"; exit 77; }
  ns_init
  WORK=$(mktemp -d)
  ns_on_cleanup "rm -rf $WORK"
}
fail() { echo "FAIL: $*" >&2; for f in "$WORK"/*.log; do echo "== $f"; tail -40 "$f"; done >&2; exit 1; }

# expect_sigterm_exit PID...: SIGTERM each, fail unless all exit within 5 s.
expect_sigterm_exit() {
  kill -TERM "$@"
  local p
  for p in "$@"; do
    for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$p" 2>/dev/null && fail "gateway $p did not exit on SIGTERM"
  done
  return 0
}

# gw_config NAME LOCAL REMOTE LOCAL_NET REMOTE_NET MODE PSK [EXTRA]: a one-connection isthmus-gateway
# config (tunnel isth0, MTU 1400, control socket WORK/NAME.sock); EXTRA is added to the connection
# object as JSON members, e.g. '"child_lifetime_s": 20'.
gw_config() {
  cat <<JSON
{ "local": {"address": "$2", "id": "$2"},
  "tunnel": {"interface": "isth0", "mtu": 1400},
  "control_socket": "$WORK/$1.sock",
  "connections": [ { "name": "$1", "remote_address": "$3", "remote_id": "$3",
      "shared_key": "$7", "local_prefixes": ["$4"], "remote_prefixes": ["$5"],
      "ike_proposals": ["aes256gcm16-prfsha256-ecp256"], "esp_proposals": ["aes256gcm16"],
      "mode": "$6", "dpd_timeout_s": 30${8:+, $8} } ] }
JSON
}

ns_cleanup() {
  local rc=$?
  set +e
  for c in "${NS_CLEANUPS[@]}"; do eval "$c" >/dev/null 2>&1; done
  for p in "${NS_PIDS[@]}"; do kill "$p" 2>/dev/null; done
  sleep 0.2
  for p in "${NS_PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done
  for n in "${NS_CREATED[@]}"; do
    # Deleting a namespace kills nothing: stop what still runs inside first.
    for p in $(ip netns pids "$n" 2>/dev/null); do kill -9 "$p" 2>/dev/null; done
    ip netns del "$n" 2>/dev/null
  done
  exit $rc
}

ns_add() {
  local n="${NS_PREFIX}$1"
  ip netns add "$n"
  NS_CREATED+=("$n")
  ip -n "$n" link set lo up
}

ns_exec() {
  local n="${NS_PREFIX}$1"
  shift
  ip netns exec "$n" "$@"
}

ns_veth() {
  local a=$1 ifa=$2 addra=$3 b=$4 ifb=$5 addrb=$6
  local tmp="v$(od -An -N4 -tx1 /dev/urandom | tr -d ' \n')"
  ip link add "${tmp}a" type veth peer name "${tmp}b"
  ip link set "${tmp}a" netns "${NS_PREFIX}$a"
  ip link set "${tmp}b" netns "${NS_PREFIX}$b"
  ip -n "${NS_PREFIX}$a" link set "${tmp}a" name "$ifa"
  ip -n "${NS_PREFIX}$b" link set "${tmp}b" name "$ifb"
  ip -n "${NS_PREFIX}$a" addr add "$addra" dev "$ifa"
  ip -n "${NS_PREFIX}$b" addr add "$addrb" dev "$ifb"
  ip -n "${NS_PREFIX}$a" link set "$ifa" up
  ip -n "${NS_PREFIX}$b" link set "$ifb" up
}

ns_forwarding() {
  ns_exec "$1" sysctl -qw net.ipv4.ip_forward=1 net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0
}

ns_spawn() {
  local n=$1 log=$2
  shift 2
  ip netns exec "${NS_PREFIX}$n" "$@" >"$log" 2>&1 &
  NS_LAST_PID=$!
  NS_PIDS+=("$NS_LAST_PID")
}

# wait_for TIMEOUT_S cmd...: retries cmd every 0.1 s until it succeeds or the time is up.
wait_for() {
  local deadline=$((SECONDS + $1))
  shift
  until "$@" >/dev/null 2>&1; do
    ((SECONDS < deadline)) || return 1
    sleep 0.1
  done
}

# The standard topology: hostA ─ gwA ═ wan ═ gwB ─ hostB
#   hostA 10.1.0.10/24, gwA lan 10.1.0.1/24, gwA wan 198.18.0.2/24
#   hostB 10.2.0.10/24, gwB lan 10.2.0.1/24, gwB wan 198.18.0.3/24
ns_topology_two_sites() {
  for n in hostA gwA gwB hostB; do ns_add "$n"; done
  ns_veth hostA eth0 10.1.0.10/24 gwA lan0 10.1.0.1/24
  ns_veth gwA wan0 198.18.0.2/24 gwB wan0 198.18.0.3/24
  ns_veth gwB lan0 10.2.0.1/24 hostB eth0 10.2.0.10/24
  ns_exec hostA ip route add default via 10.1.0.1
  ns_exec hostB ip route add default via 10.2.0.1
  ns_forwarding gwA
  ns_forwarding gwB
}
