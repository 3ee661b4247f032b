#!/usr/bin/env bash
# isthmusd without what realization needs (here: not root, so no namespaces): it still serves the whole
# API, and each resource that needs the host fails with a clear ARM error naming the cause — the CLI
# prints it as az would — while the rest of the API keeps working.
#
# Usage: fabric_unprivileged_test.sh ISTHMUS ISTHMUSD   (run as root, which drops to nobody; skips with
# 77 otherwise)
set -euo pipefail
ISTHMUS=$1
REAL_ISTHMUSD=$2
[[ $(id -u) -eq 0 ]] || { echo "SKIP: needs root (to drop to nobody)"; exit 77; }
command -v setpriv >/dev/null || { echo "SKIP: no setpriv"; exit 77; }
source "$(dirname "$0")/../lib/fabric.sh"
fabric_init
chmod 755 "$WORK"
mkdir -p "$STATE"
chown 65534:65534 "$STATE"
# isthmusd as nobody: what a user who forgot sudo runs.
cat >"$WORK/isthmusd-as-nobody" <<EOF
#!/bin/sh
exec setpriv --reuid=65534 --regid=65534 --clear-groups -- "$REAL_ISTHMUSD" "\$@"
EOF
chmod 755 "$WORK/isthmusd-as-nobody"
ISTHMUSD=$WORK/isthmusd-as-nobody
fabric_start_daemon

ok group create -n RG1 -l eastus
ok network vnet create -n VNet1 -g RG1 --address-prefix 10.11.0.0/16 --subnet-name FrontEnd --subnet-prefix 10.11.0.0/24
ok network vnet subnet create --vnet-name VNet1 -n GatewaySubnet -g RG1 --address-prefix 10.11.255.0/27
ok network public-ip create -n GWIP -g RG1
run network vnet-gateway create -n GW1 --public-ip-address GWIP -g RG1 --vnet VNet1
((RC != 0)) || fail "a gateway was provisioned by an isthmusd that cannot create namespaces"
[[ $ERR == *ERROR:* && $ERR == *"not permitted"* && $ERR == *"needs root"* ]] ||
  fail "the failure does not say why: $ERR"
state=$(q network vnet-gateway show -n GW1 -g RG1 --query provisioningState)
[[ $state == Failed ]] || fail "provisioningState is '$state', not Failed"
# The API still serves reads and writes.
ok network vnet subnet create --vnet-name VNet1 -n BackEnd -g RG1 --address-prefix 10.11.1.0/24
[[ $(q network vnet subnet list -g RG1 --vnet-name VNet1 --query "length(@)") == 3 ]] || fail "subnet list is wrong"
kill -0 "$DAEMON_PID" || fail "isthmusd exited"
[[ -z $(ip netns list | awk '{print $1}' | grep "^$PREFIX") ]] || fail "an unprivileged isthmusd made namespaces"
echo "ok: the gateway failed with: $(grep -m1 ERROR <<<"$ERR")"
echo "PASS: unprivileged isthmusd serves the API and fails realization clearly"
