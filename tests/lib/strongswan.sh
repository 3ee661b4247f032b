# strongSwan (charon with kernel-libipsec, since this kernel has no XFRM crypto) as a gateway in a
# namespace, configured with swanctl over its own VICI socket. Source after netns.sh.
#
#   sw_start NS DIR          writes DIR/strongswan.conf, starts charon in NS with DIR/run as /run
#                            (log levels SW_LOG_DEFAULT=1, SW_LOG_IKE=2; SW_TIME_FORMAT=%H:%M:%S, ms added)
#   sw_conf DIR <<EOF ...    writes DIR/swanctl.conf from stdin
#   sw_swanctl NS DIR CMD args…  runs swanctl against that charon
# Facts: notes/this-machine.md (plugin order, pid file, encap, table 220, DoS limits).

sw_start() {
  local ns=$1 dir=$2
  mkdir -p "$dir/run"
  cat >"$dir/strongswan.conf" <<CONF
charon {
  load_modular = no
  load = random nonce openssl pem pkcs1 x509 pubkey kdf aes gcm chapoly sha2 hmac curve25519 kernel-libipsec kernel-netlink socket-default vici
  plugins {
    vici { socket = unix://$dir/charon.vici }
    kernel-libipsec { allow_peer_ts = yes }
  }
  install_routes = ${SW_INSTALL_ROUTES:-yes}
  dos_protection = no
  cookie_threshold = 100000
  block_threshold = 100000
  init_limit_half_open = 0
  retransmit_tries = 3
  retransmit_timeout = 1.0
  filelog {
    charonlog {
      path = $dir/charon.log
      time_format = ${SW_TIME_FORMAT:-%H:%M:%S}
      time_add_ms = yes
      default = ${SW_LOG_DEFAULT:-1}
      ike = ${SW_LOG_IKE:-2}
      flush_line = yes
    }
  }
}
CONF
  # charon's pid file path is compiled in: give each instance its own /run.
  ns_spawn "$ns" "$dir/charon.stdout" env STRONGSWAN_CONF="$dir/strongswan.conf" \
    sh -c "mount --bind '$dir/run' /run && exec /usr/lib/ipsec/charon"
  SW_PID=$NS_LAST_PID
  wait_for 10 test -S "$dir/charon.vici" || {
    echo "charon did not start in $ns:" >&2
    cat "$dir/charon.stdout" "$dir/charon.log" >&2 2>/dev/null
    return 1
  }
}

sw_conf() { cat >"$1/swanctl.conf"; }

sw_swanctl() {  # NS DIR COMMAND [args]: swanctl wants the command first
  local ns=$1 dir=$2 cmd=$3
  shift 3
  ns_exec "$ns" swanctl "$cmd" --uri "unix://$dir/charon.vici" "$@"
}

sw_load() {
  local out
  out=$(sw_swanctl "$1" "$2" --load-all --file "$2/swanctl.conf" 2>&1) || { echo "$out" >&2; return 1; }
}
