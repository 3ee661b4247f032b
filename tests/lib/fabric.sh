# Helpers for end-to-end tests of isthmusd's single-host fabric. Source it after setting ISTHMUS and
# ISTHMUSD. It gives each run its own namespace prefix, state directory and port, and an EXIT trap that
# stops isthmusd and removes everything the fabric made — even when the test fails.
#
#   fabric_init                 PREFIX, WORK, STATE, KEY; the cleanup trap
#   fabric_start_daemon         (re)start isthmusd on the same state, prefix and port
#   ok ARGS… / q ARGS… / run ARGS…   the CLI: must succeed / prints tsv / sets OUT ERR RC
#   wait_state STATE CMD…       poll CMD --query provisioningState
#   wait_status STATUS RG CONN SECONDS   poll the connection's connectionStatus
#   vm_ns RG VM / vnet_ns RG VNET / underlay_ns / gateway_socket|gateway_pid|gateway_ns RG GW
#                               names from `isthmus fabric status`
#   run_on RG VM SCRIPT         vm run-command invoke, prints the message
#   tcp_both_ways NS1 IP1 NS2 IP2   a short iperf3 stream each way
#   no_fabric_left / fabric_leftovers
#   deploy_v2v EXAMPLES [SECONDS]   examples/vnet-to-vnet in group V2V (VNet1 eastus, VNet4 westus) with $KEY:
#                               both connections Connected, both VMs up; V2V_IP1/4, V2V_NS1/4 their VMs
#   onprem_peer PEER GWIP REMOTE_TS  strongSwan as an on-premises device on the underlay (needs
#                               strongswan.sh): SWNS, SW_PID; its network 10.200.0.0/24 (10.200.0.1 on lo)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/netns.sh"

fabric_init() {
  PREFIX="t$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')-"
  WORK=$(mktemp -d /tmp/isthmus-fabric-e2e.XXXXXX)
  STATE=$WORK/state
  KEY="Tut0rial-$RANDOM$RANDOM"
  STEPS=0
  DAEMON_PID=""
  PORT=""
  FABRIC_EXTRA_NS=()
  export ISTHMUS_STATE_DIR=$STATE ISTHMUS_CONFIG_DIR=$WORK/cli
  unset ISTHMUS_TOKEN
  trap fabric_cleanup EXIT
}

fabric_cleanup() {
  local rc=$?
  set +e
  if ((rc != 0)); then
    echo "--- isthmusd log (tail)" >&2
    tail -n 40 "$WORK/isthmusd.log" >&2
    for f in "$STATE"/fabric/*.log; do
      [[ -f $f ]] && { echo "--- $f (tail)" >&2; tail -n 15 "$f" >&2; }
    done
  fi
  [[ -n $DAEMON_PID ]] && kill "$DAEMON_PID" 2>/dev/null && wait "$DAEMON_PID" 2>/dev/null
  "$ISTHMUSD" --cleanup --fabric-prefix "$PREFIX" --state-dir "$STATE" >/dev/null 2>&1
  # Every fabric test's shared key is $KEY: it must be in no log this run wrote (isthmusd's, each
  # gateway's and impairer's, the CLI's), whatever else happened.
  local leaked
  leaked=$(grep -lF -- "$KEY" "$WORK"/*.log "$STATE"/fabric/*.log 2>/dev/null)
  if [[ -n $leaked ]]; then
    echo "FAIL: the shared key appears in: $leaked" >&2
    ((rc == 0)) && rc=1
  fi
  # Belt and braces: nothing of this run may survive it (FABRIC_EXTRA_NS: namespaces a test made
  # itself, outside the fabric's prefix).
  for n in $(ip netns list 2>/dev/null | awk '{print $1}' | grep "^$PREFIX") "${FABRIC_EXTRA_NS[@]}"; do
    for p in $(ip netns pids "$n" 2>/dev/null); do kill -9 "$p" 2>/dev/null; done
    ip netns del "$n" 2>/dev/null
  done
  rm -rf "$WORK"
  exit $rc
}

fail() {
  echo "FAIL: ${1//$KEY/****}" >&2
  exit 1
}

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

fabric_start_daemon() {
  if [[ -z $PORT ]]; then
    PORT=$((20000 + RANDOM % 40000))
    while port_in_use "$PORT"; do PORT=$((20000 + RANDOM % 40000)); done
  fi
  "$ISTHMUSD" --fabric-prefix "$PREFIX" --listen "127.0.0.1:$PORT" --state-dir "$STATE" >>"$WORK/isthmusd.log" 2>&1 &
  DAEMON_PID=$!
  export ISTHMUS_ENDPOINT="https://127.0.0.1:$PORT"
  for _ in $(seq 100); do
    kill -0 "$DAEMON_PID" 2>/dev/null || fail "isthmusd exited at start"
    [[ -s $STATE/token ]] && port_in_use "$PORT" && return 0
    sleep 0.1
  done
  fail "isthmusd did not start on port $PORT"
}

run() {
  set +e
  local err=$WORK/stderr.$BASHPID  # per process: callers may run the CLI in parallel
  OUT=$("$ISTHMUS" "$@" 2>"$err")
  RC=$?
  set -e
  ERR=$(cat "$err")
  rm -f "$err"
  STEPS=$((STEPS + 1))
}
ok() {
  run "$@" -o none
  [[ $RC -eq 0 ]] || fail "isthmus $* exited $RC: $ERR"
}
q() {
  run "$@" -o tsv
  [[ $RC -eq 0 ]] || fail "isthmus $* exited $RC: $ERR"
  printf '%s\n' "$OUT"
}

wait_state() {  # wait_state WANT CMD...
  local want=$1 got=""
  shift
  for _ in $(seq 300); do
    run "$@" --query provisioningState -o tsv
    got=$OUT
    [[ $got == "$want" ]] && return 0
    [[ $got == Failed && $want != Failed ]] && fail "isthmus $*: provisioningState Failed"
    sleep 0.1
  done
  fail "isthmus $*: provisioningState is '$got', not '$want' after 30 s"
}

wait_status() {  # wait_status WANT RG CONNECTION SECONDS
  local want=$1 rg=$2 conn=$3 secs=$4 got=""
  local deadline=$((SECONDS + secs))
  while ((SECONDS <= deadline)); do
    run network vpn-connection show -g "$rg" -n "$conn" --query connectionStatus -o tsv
    got=$OUT
    [[ $got == "$want" ]] && return 0
    sleep 0.2
  done
  fail "connection $rg/$conn is '$got', not '$want' after $secs s"
}

wait_gone() {  # wait_gone CMD...: until CMD fails with "not found"
  for _ in $(seq 300); do
    run "$@"
    [[ $RC -ne 0 ]] && return 0
    sleep 0.1
  done
  fail "isthmus $*: still there after 30 s"
}

fabric_query() { q fabric status --query "$1"; }
vm_ns() {
  local id
  id=$(q vm show -g "$1" -n "$2" --query id | tr 'A-Z' 'a-z')
  fabric_query "namespaces[?resource=='$id'].name | [0]"
}
vnet_ns() {
  local id
  id=$(q network vnet show -g "$1" -n "$2" --query id | tr 'A-Z' 'a-z')
  fabric_query "namespaces[?resource=='$id'].name | [0]"
}
underlay_ns() { fabric_query "namespaces[?role=='underlay'].name | [0]"; }
gateway_pid() {
  local id
  id=$(q network vnet-gateway show -g "$1" -n "$2" --query id | tr 'A-Z' 'a-z')
  fabric_query "gateways[?resource=='$id'].pid | [0]"
}
gateway_ns() {
  local id
  id=$(q network vnet-gateway show -g "$1" -n "$2" --query id | tr 'A-Z' 'a-z')
  fabric_query "gateways[?resource=='$id'].namespace | [0]"
}
gateway_socket() {
  local id
  id=$(q network vnet-gateway show -g "$1" -n "$2" --query id | tr 'A-Z' 'a-z')
  fabric_query "gateways[?resource=='$id'].controlSocket | [0]"
}

# The sorted inbound/outbound SPIs of every CHILD SA of a gateway, from its own control socket.
gateway_spis() {
  local sock
  sock=$(gateway_socket "$1" "$2")
  "$(dirname "$ISTHMUSD")/../isthmus-gateway/isthmus-gateway" status --socket "$sock" |
    python3 -c 'import json,sys; d=json.load(sys.stdin); print(" ".join(sorted(k["inbound_spi"]+"/"+k["outbound_spi"] for c in d["connections"] for k in c["children"])))'
}

run_on() {  # run_on RG VM SCRIPT: prints value[0].message
  q vm run-command invoke -g "$1" -n "$2" --command-id RunShellScript --scripts "$3" --query "value[0].message"
}

tcp_both_ways() {  # tcp_both_ways NS1 IP1 NS2 IP2
  local ns1=$1 ip1=$2 ns2=$3 ip2=$4
  ip netns exec "$ns2" iperf3 -s -1 -D -p 5201 --logfile "$WORK/iperf-s2.log"
  ip netns exec "$ns1" iperf3 -s -1 -D -p 5201 --logfile "$WORK/iperf-s1.log"
  sleep 0.3
  ip netns exec "$ns1" timeout 15 iperf3 -c "$ip2" -p 5201 -t 2 -J >"$WORK/iperf-12.json" || fail "TCP VM1 -> VM4 failed"
  ip netns exec "$ns2" timeout 15 iperf3 -c "$ip1" -p 5201 -t 2 -J >"$WORK/iperf-21.json" || fail "TCP VM4 -> VM1 failed"
  local a b
  a=$(python3 -c 'import json,sys; print(int(json.load(open(sys.argv[1]))["end"]["sum_received"]["bits_per_second"]/1e6))' "$WORK/iperf-12.json")
  b=$(python3 -c 'import json,sys; print(int(json.load(open(sys.argv[1]))["end"]["sum_received"]["bits_per_second"]/1e6))' "$WORK/iperf-21.json")
  ((a > 0 && b > 0)) || fail "TCP carried nothing ($a / $b Mbit/s)"
  echo "TCP $a Mbit/s one way, $b Mbit/s the other"
}

deploy_v2v() {
  local ex=$1/vnet-to-vnet secs=${2:-30}
  ok group create -n V2V -l eastus
  run deployment group create -g V2V -n v2v -f "$ex/azuredeploy.json" -p "@$ex/azuredeploy.parameters.json" \
    sharedKey="$KEY" --query properties.provisioningState -o tsv
  [[ $RC -eq 0 && $OUT == Succeeded ]] || fail "deployment of $ex: rc $RC, '$OUT': $ERR"
  wait_status Connected V2V VNet1ToVNet4 "$secs"
  wait_status Connected V2V VNet4ToVNet1 "$secs"
  wait_state Succeeded vm show -g V2V -n VM1
  wait_state Succeeded vm show -g V2V -n VM4
  V2V_IP1=$(q vm show -g V2V -n VM1 -d --query privateIps)
  V2V_IP4=$(q vm show -g V2V -n VM4 -d --query privateIps)
  V2V_NS1=$(vm_ns V2V VM1)
  V2V_NS4=$(vm_ns V2V VM4)
}

fabric_leftovers() {
  ip netns list 2>/dev/null | awk '{print $1}' | grep "^$PREFIX" | tr '\n' ' '
  pgrep -f "$STATE/fabric/(gw|imp)-" | tr '\n' ' '
}
no_fabric_left() { [[ -z $(fabric_leftovers) ]]; }

# What docs/fabric.md tells a user: pick an address of the underlay pool for the outside peer, name it in
# a local network gateway (isthmusd never hands it to a public IP), and plug a veth into the underlay's
# bridge ul0. Then charon there proposes IKEv2 to GWIP with $KEY, for 10.200.0.0/24 <-> REMOTE_TS.
onprem_peer() {
  local peer=$1 gwip=$2 remote_ts=$3 ul
  ul=$(underlay_ns)
  # Not under the fabric's prefix: a namespace with it that the fabric did not declare is removed.
  SWNS=op-${PREFIX}onprem
  FABRIC_EXTRA_NS+=("$SWNS")
  ip netns add "$SWNS"
  ip -n "$SWNS" link set lo up
  # Per-run veth names (the host's namespace sees them for a moment); none starts with "g-", the
  # fabric's own legs.
  ip link add "op${PREFIX%-}" type veth peer name "ul${PREFIX%-}"
  ip link set "op${PREFIX%-}" netns "$SWNS"
  ip link set "ul${PREFIX%-}" netns "$ul"
  ip -n "$ul" link set "ul${PREFIX%-}" master ul0 up
  ip -n "$SWNS" link set "op${PREFIX%-}" name eth0
  ip -n "$SWNS" addr add "$peer/15" dev eth0
  ip -n "$SWNS" link set eth0 up
  ip -n "$SWNS" addr add 10.200.0.1/32 dev lo # the on-premises network behind strongSwan
  mkdir -p "$WORK/sw"
  sw_conf "$WORK/sw" <<CONF
connections {
  azure {
    version = 2
    local_addrs = $peer
    remote_addrs = $gwip
    encap = yes
    proposals = aes256gcm16-prfsha256-ecp256
    local { auth = psk
            id = $peer }
    remote { auth = psk
             id = $gwip }
    children {
      net { local_ts = 10.200.0.0/24
            remote_ts = $remote_ts
            esp_proposals = aes256gcm16 }
    }
  }
}
secrets { ike-1 { id-1 = $peer
                  id-2 = $gwip
                  secret = "$KEY" } }
CONF
  sw_start "$SWNS" "$WORK/sw" || fail "charon did not start"
  sw_load "$SWNS" "$WORK/sw" || fail "swanctl could not load the configuration"
}
