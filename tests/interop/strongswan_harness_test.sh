#!/usr/bin/env bash
# Checks the interop harness itself: two strongSwan gateways (charon + kernel-libipsec) in namespaces
# bring up an IKEv2 SA with a PSK, and hostA pings hostB through the tunnel.
#
#   hostA ─ gwA(charon) ═ wan ═ gwB(charon) ─ hostB
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../lib/netns.sh"
source "$here/../lib/strongswan.sh"

[[ $(id -u) -eq 0 ]] || { echo "needs root (network namespaces)"; exit 1; }
ns_init
work=$(mktemp -d /tmp/isthmus-interop.XXXXXX)
ns_on_cleanup "rm -rf '$work'"
ns_topology_two_sites

conf() {  # NAME LOCAL REMOTE LOCAL_TS REMOTE_TS
  cat <<CONF
connections {
  $1 {
    version = 2
    local_addrs = $2
    remote_addrs = $3
    encap = yes
    proposals = aes256gcm16-prfsha256-ecp256
    local { auth = psk
            id = $2 }
    remote { auth = psk
             id = $3 }
    children {
      net { local_ts = $4
            remote_ts = $5
            esp_proposals = aes256gcm16 }
    }
  }
}
secrets { ike-1 { id-1 = $2
                  id-2 = $3
                  secret = "harness-test-psk-0123" } }
CONF
}

mkdir -p "$work/a" "$work/b"
sw_start gwA "$work/a"
sw_start gwB "$work/b"
conf to-b 198.18.0.2 198.18.0.3 10.1.0.0/16 10.2.0.0/16 | sw_conf "$work/a"
conf to-a 198.18.0.3 198.18.0.2 10.2.0.0/16 10.1.0.0/16 | sw_conf "$work/b"
sw_load gwA "$work/a"
sw_load gwB "$work/b"
sw_swanctl gwA "$work/a" --initiate --child net --timeout 10 >/dev/null

sas=$(sw_swanctl gwA "$work/a" --list-sas)
echo "$sas" | grep -q "ESTABLISHED" || { echo "FAIL: no ESTABLISHED IKE SA"; echo "$sas"; exit 1; }
echo "$sas" | grep -q "AES_GCM_16-256" || { echo "FAIL: unexpected algorithms"; echo "$sas"; exit 1; }
ns_exec hostA ping -c 3 -i 0.2 -W 2 10.2.0.10 >/dev/null || {
  echo "FAIL: hostA cannot ping hostB through the tunnel"; cat "$work/a/charon.log" | tail -30; exit 1; }
echo "PASS: strongSwan <-> strongSwan tunnel up, ping across"
