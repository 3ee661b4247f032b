#!/usr/bin/env bash
# isthmus-gateway against strongSwan (charon + kernel-libipsec, encap = yes), in namespaces.
#
#   hostA 10.1.0.10 ─ gwA ═══ wan 198.18.0.0/24 ═══ gwB ─ hostB 10.2.0.10
#                     isthmus-gateway                charon (kernel-libipsec)
#
# Cases (each with fresh processes): for each proposal set, Isthmus initiates and strongSwan
# initiates — swanctl --list-sas shows ESTABLISHED with the expected algorithms, ping crosses both
# ways, our status shows the bytes; a wrong PSK on either side fails cleanly on both; CHILD and IKE
# rekeys started by strongSwan and by Isthmus succeed while a ping keeps running; each proposal case also
# carries a TCP stream both ways. Prints a matrix.
# Usage: strongswan_interop_test.sh ISTHMUS_GATEWAY [CASE-FILTER-REGEX]   (root; about 3 minutes)
set -euo pipefail
GW=$1
FILTER=${2:-.}
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../lib/netns.sh"
source "$here/../lib/strongswan.sh"
[[ $(id -u) -eq 0 ]] || { echo "SKIP: needs root"; exit 77; }
[[ -x /usr/lib/ipsec/charon ]] || { echo "SKIP: strongSwan not installed"; exit 77; }
ns_init
WORK=$(mktemp -d /tmp/isthmus-interop.XXXXXX)
ns_on_cleanup "rm -rf '$WORK'"
ns_topology_two_sites

PSK="interop-psk-0123456789abcdef"
CASE_DIR=""
ISTH_PID=""
MATRIX=()

note() { echo "    $*"; }

isthmus_conf() {  # MODE IKE ESP PSK [child_lifetime ike_lifetime]
  cat <<JSON
{ "local": {"address": "198.18.0.2", "id": "198.18.0.2"},
  "tunnel": {"interface": "isth0", "mtu": 1400},
  "control_socket": "$CASE_DIR/gw.sock",
  "connections": [ { "name": "to-sw", "remote_address": "198.18.0.3", "remote_id": "198.18.0.3",
      "shared_key": "$4", "local_prefixes": ["10.1.0.0/16"], "remote_prefixes": ["10.2.0.0/16"],
      "ike_proposals": ["$2"], "esp_proposals": ["$3"], "mode": "$1", "dpd_timeout_s": 30,
      "ike_lifetime_s": ${6:-28800}, "child_lifetime_s": ${5:-27000} } ] }
JSON
}

sw_connection() {  # IKE ESP PSK [ike_rekey child_rekey child_life]
  cat <<CONF
connections {
  to-isthmus {
    version = 2
    local_addrs = 198.18.0.3
    remote_addrs = 198.18.0.2
    encap = yes
    proposals = $1
    rekey_time = ${4:-4h}
    local { auth = psk
            id = 198.18.0.3 }
    remote { auth = psk
             id = 198.18.0.2 }
    children {
      net { local_ts = 10.2.0.0/16
            remote_ts = 10.1.0.0/16
            esp_proposals = $2
            rekey_time = ${5:-1h}
            life_time = ${6:-2h}
            rand_time = 0s }
    }
  }
}
secrets { ike-1 { id-1 = 198.18.0.3
                  id-2 = 198.18.0.2
                  secret = "$3" } }
CONF
}

start_case() {  # NAME SW_CONNECTION_ARGS...  (no pipeline: CASE_DIR and SW_PID must reach the caller)
  CASE_DIR="$WORK/${1//\//_}"
  shift
  mkdir -p "$CASE_DIR/sw"
  sw_connection "$@" >"$CASE_DIR/sw/swanctl.conf"
  sw_start gwB "$CASE_DIR/sw" || return 1
  sw_load gwB "$CASE_DIR/sw" || return 1
}

start_isthmus() {  # conf args
  isthmus_conf "$@" >"$CASE_DIR/gw.json"
  ns_spawn gwA "$CASE_DIR/isthmus.log" "$GW" --config "$CASE_DIR/gw.json"
  ISTH_PID=$NS_LAST_PID
  wait_for 10 test -S "$CASE_DIR/gw.sock" || { note "isthmus-gateway did not start"; return 1; }
}

stop_case() {
  [[ -n $ISTH_PID ]] && { kill "$ISTH_PID" 2>/dev/null; wait "$ISTH_PID" 2>/dev/null || true; }
  [[ -n ${SW_PID:-} ]] && { kill "$SW_PID" 2>/dev/null; wait "$SW_PID" 2>/dev/null || true; }
  ISTH_PID=""; SW_PID=""
  sleep 0.2
}

status_json() { "$GW" status --socket "$CASE_DIR/gw.sock"; }
field() {  # python expression on c = connections[0]
  status_json | python3 -c "import json,sys; c=json.load(sys.stdin)['connections'][0]; print($1)"
}
connected() { [[ $(field 'c["state"]') == Connected ]]; }
sw_established() { sw_swanctl gwB "$CASE_DIR/sw" --list-sas | grep -q ESTABLISHED; }
sw_installed() { sw_swanctl gwB "$CASE_DIR/sw" --list-sas | grep -q INSTALLED; }

pings() {
  ns_exec hostA ping -c 3 -i 0.2 -W 2 10.2.0.10 >/dev/null || { note "ping hostA -> hostB failed"; return 1; }
  ns_exec hostB ping -c 3 -i 0.2 -W 2 10.1.0.10 >/dev/null || { note "ping hostB -> hostA failed"; return 1; }
}

# A one-second TCP stream each way (iperf3, and -R for hostB -> hostA); at least 1 MB must arrive.
streams() {
  local srv up down
  ns_spawn hostB "$CASE_DIR/iperf-server.log" iperf3 -s
  srv=$NS_LAST_PID
  sleep 0.3
  received() { python3 -c 'import json,sys; print(json.load(sys.stdin)["end"]["sum_received"]["bytes"])'; }
  up=$(ns_exec hostA timeout 15 iperf3 -c 10.2.0.10 -t 1 -J | received) || up=0
  down=$(ns_exec hostA timeout 15 iperf3 -c 10.2.0.10 -t 1 -R -J | received) || down=0
  kill "$srv" 2>/dev/null; wait "$srv" 2>/dev/null || true
  ((up > 1000000 && down > 1000000)) || { note "TCP stream too small: hostA->hostB $up B, hostB->hostA $down B"; return 1; }
  STREAMS="TCP 1 s each way: $((up / 1000000)) MB / $((down / 1000000)) MB"
}

dump_logs() {
  # Kept after the run for a closer look (the work directory is removed).
  mkdir -p /tmp/isthmus-interop-failed && cp -r "$CASE_DIR" /tmp/isthmus-interop-failed/ 2>/dev/null || true
  echo "    --- isthmus log"; tail -25 "$CASE_DIR/isthmus.log" 2>/dev/null | sed 's/^/    /'
  echo "    --- charon log"; grep -v "^$" "$CASE_DIR/sw/charon.log" 2>/dev/null | tail -40 | sed 's/^/    /'
}

# --- one proposal set, one direction
case_proposal() {  # DIR(isthmus|strongswan) IKE ESP IKE_EXPECT CHILD_EXPECT
  local dir=$1 ike=$2 esp=$3 ike_expect=$4 child_expect=$5
  start_case "$dir-$ike" "$ike" "$esp" "$PSK" || return 1
  if [[ $dir == isthmus ]]; then
    start_isthmus initiator "$ike" "$esp" "$PSK" || return 1
  else
    start_isthmus responder "$ike" "$esp" "$PSK" || return 1
    sw_swanctl gwB "$CASE_DIR/sw" --initiate --child net --timeout 10 >"$CASE_DIR/initiate.txt" 2>&1 ||
      { note "swanctl --initiate failed"; return 1; }
  fi
  wait_for 15 connected || { note "isthmus not Connected: $(field 'c["state"], c.get("last_error")')"; return 1; }
  wait_for 5 sw_installed || { note "strongSwan has no INSTALLED CHILD SA"; return 1; }
  local sas
  sas=$(sw_swanctl gwB "$CASE_DIR/sw" --list-sas)
  echo "$sas" | grep -q "ESTABLISHED" || { note "no ESTABLISHED"; return 1; }
  echo "$sas" | grep -q -- "$ike_expect" || { note "IKE algorithms: expected $ike_expect"; echo "$sas"; return 1; }
  echo "$sas" | grep -q -- "ESP:$child_expect" || { note "CHILD algorithms: expected $child_expect"; echo "$sas"; return 1; }
  pings || return 1
  streams || return 1
  local io
  io=$(field '"%d %d" % (c["in"]["bytes"], c["out"]["bytes"])')
  read -r in_b out_b <<<"$io"
  ((in_b > 0 && out_b > 0)) || { note "no traffic in our status: in $in_b out $out_b"; return 1; }
  note "$(echo "$sas" | grep -m1 -o "$ike_expect[^ ]*") / $(echo "$sas" | grep -m1 -o -- "ESP:$child_expect[^ ]*"); $STREAMS; our status in ${in_b} B out ${out_b} B"
}

# --- wrong PSK: side whose key is wrong
case_wrong_psk() {  # WRONG_SIDE(isthmus|strongswan)
  local side=$1 our_psk=$PSK sw_psk=$PSK
  [[ $side == isthmus ]] && our_psk="wrong-$PSK" || sw_psk="wrong-$PSK"
  start_case "wrongpsk-$side" aes256gcm16-prfsha256-ecp256 aes256gcm16 "$sw_psk" || return 1
  if [[ $side == isthmus ]]; then
    # We initiate with the wrong key: strongSwan must reject our AUTH.
    start_isthmus initiator aes256gcm16-prfsha256-ecp256 aes256gcm16 "$our_psk" || return 1
    wait_for 10 grep -q "MAC mismatched\|AUTH_FAILED" "$CASE_DIR/sw/charon.log" ||
      { note "strongSwan did not log an authentication failure"; return 1; }
  else
    # strongSwan initiates with the wrong key: we must reject its AUTH.
    start_isthmus responder aes256gcm16-prfsha256-ecp256 aes256gcm16 "$our_psk" || return 1
    sw_swanctl gwB "$CASE_DIR/sw" --initiate --child net --timeout 10 >"$CASE_DIR/initiate.txt" 2>&1 &&
      { note "swanctl --initiate succeeded with a wrong PSK"; return 1; }
    grep -q "AUTHENTICATION_FAILED" "$CASE_DIR/sw/charon.log" ||
      { note "strongSwan did not log AUTHENTICATION_FAILED"; return 1; }
  fi
  sleep 1
  sw_established && { note "strongSwan has an ESTABLISHED SA"; return 1; }
  local st
  st=$(field '"%s|%s|%d" % (c["state"], c.get("last_error",""), len(c["children"]))')
  [[ $st == Connected* ]] && { note "our status is Connected"; return 1; }
  [[ $st == *"|0" ]] || { note "we hold CHILD SAs: $st"; return 1; }
  [[ $side == strongswan || $st == *AUTHENTICATION_FAILED* ]] ||
    { note "our status does not say AUTHENTICATION_FAILED: $st"; return 1; }
  kill -0 "$ISTH_PID" || { note "isthmus-gateway died"; return 1; }
  grep -q "$PSK" "$CASE_DIR/isthmus.log" && { note "the PSK appears in our log"; return 1; }
  note "ours: ${st%|*}; charon: $(grep -m1 -o "AUTHENTICATION_FAILED[^,]*\|tried [0-9]* shared key.*mismatched" "$CASE_DIR/sw/charon.log" | head -1)"
}

# --- rekeys with short lifetimes, ping running throughout
case_rekey() {  # WHO(strongswan|isthmus)
  local who=$1 duration=26
  if [[ $who == strongswan ]]; then
    # An explicit life_time: with the default (rekey_time + 10 %) kernel-libipsec's whole-second expiry
    # lets the CHILD SA hard-expire at rekey time, and charon deletes and recreates it instead of rekeying.
    start_case "rekey-$who" aes256gcm16-prfsha256-ecp256 aes256gcm16 "$PSK" 18s 8s 30s || return 1
    start_isthmus initiator aes256gcm16-prfsha256-ecp256 aes256gcm16 "$PSK" || return 1
  else
    start_case "rekey-$who" aes256gcm16-prfsha256-ecp256 aes256gcm16 "$PSK" || return 1
    # Our config's floor for ike_lifetime_s is 60 s: the IKE rekey starts 51-54 s in.
    duration=58
    start_isthmus initiator aes256gcm16-prfsha256-ecp256 aes256gcm16 "$PSK" 10 60 || return 1
  fi
  wait_for 15 connected || { note "not Connected"; return 1; }
  local spi0
  spi0=$(field 'c["children"][0]["inbound_spi"]')
  local loss
  loss=$(ns_exec hostA ping -c $((duration * 5)) -i 0.2 -W 1 10.2.0.10 | grep -o "[0-9.]*% packet loss" || true)
  local rk
  rk=$(field '"%d %d %s %s" % (c["ike_rekeys"], c["child_rekeys"], c["state"], c["children"][0]["inbound_spi"] if c["children"] else "-")')
  read -r ike_rk child_rk state spi1 <<<"$rk"
  note "ping during rekeys: $loss; our counts: IKE rekeys $ike_rk, CHILD rekeys $child_rk; CHILD SPI $spi0 -> $spi1"
  [[ $state == Connected ]] || { note "state $state after rekeys"; return 1; }
  ((child_rk >= 1)) || { note "no CHILD rekey counted"; return 1; }
  ((ike_rk >= 1)) || { note "no IKE rekey counted"; return 1; }
  [[ $spi0 != "$spi1" ]] || { note "CHILD SPI did not change"; return 1; }
  [[ $loss == "0% packet loss" ]] || { note "packets lost during rekey"; return 1; }
  # Who started them, from charon's side of the wire.
  local verb=parsed
  [[ $who == strongswan ]] && verb=generating
  grep -Eq "$verb CREATE_CHILD_SA request [0-9]+ \[ N\(REKEY_SA\)" "$CASE_DIR/sw/charon.log" ||
    { note "charon log shows no CHILD rekey request $verb"; return 1; }
  grep -Eq "$verb CREATE_CHILD_SA request [0-9]+ \[ SA No KE \]" "$CASE_DIR/sw/charon.log" ||
    { note "charon log shows no IKE rekey request $verb"; return 1; }
  grep -q "rekeyed between" "$CASE_DIR/sw/charon.log" || { note "charon did not log the IKE SA rekeyed"; return 1; }
  sw_established || { note "strongSwan has no ESTABLISHED SA after rekeys"; return 1; }
  pings || return 1
}

run() {  # LABEL cmd...
  local label=$1
  shift
  [[ $label =~ $FILTER ]] || return 0
  echo "=== $label"
  local t0=$SECONDS res
  if "$@"; then res=PASS; else res=FAIL; dump_logs; fi
  stop_case
  MATRIX+=("$(printf '%-60s %s  (%ds)' "$label" "$res" $((SECONDS - t0)))")
  echo "    -> $res"
}

declare -A IKE_EXPECT=(
  [aes256gcm16-prfsha256-ecp256]="AES_GCM_16-256/PRF_HMAC_SHA2_256/ECP_256"
  [aes256-sha256-modp2048]="AES_CBC-256/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/MODP_2048"
  [chacha20poly1305-prfsha512-curve25519]="CHACHA20_POLY1305/PRF_HMAC_SHA2_512/CURVE_25519")
declare -A CHILD_EXPECT=([aes256gcm16]="AES_GCM_16-256" [aes256-sha256]="AES_CBC-256/HMAC_SHA2_256_128"
  [chacha20poly1305]="CHACHA20_POLY1305")
for set in "aes256gcm16-prfsha256-ecp256 aes256gcm16" "aes256-sha256-modp2048 aes256-sha256" \
           "chacha20poly1305-prfsha512-curve25519 chacha20poly1305"; do
  read -r ike esp <<<"$set"
  for dir in isthmus strongswan; do
    run "$ike/$esp, $dir initiates" case_proposal "$dir" "$ike" "$esp" "${IKE_EXPECT[$ike]}" "${CHILD_EXPECT[$esp]}"
  done
done
run "wrong PSK on the Isthmus side (Isthmus initiates)" case_wrong_psk isthmus
run "wrong PSK on the strongSwan side (strongSwan initiates)" case_wrong_psk strongswan
run "rekeys started by strongSwan (IKE 18s, CHILD 8s)" case_rekey strongswan
run "rekeys started by Isthmus (IKE 60s, CHILD 10s)" case_rekey isthmus

echo
echo "=== isthmus-gateway <-> strongSwan $(/usr/lib/ipsec/charon --version 2>/dev/null | head -1) interop matrix"
failed=0
for line in "${MATRIX[@]}"; do
  echo "$line"
  [[ $line == *" FAIL "* ]] && failed=1
done
exit $failed
