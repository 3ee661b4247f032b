#!/usr/bin/env bash
# isthmusd killed with -9 at random points during 1,000 CLI mutations on the live fabric (fabric_crash.py
# does the mutating, killing and checking): every acknowledged change is there after each restart,
# PRAGMA integrity_check passes, no namespace or process is orphaned, the fabric converges to exactly
# what the store says, and a VNet-to-VNet pair deployed before stays Connected throughout.
# Usage: fabric_crash_test.sh ISTHMUS ISTHMUSD SOURCE_DIR   (root; skips with 77 otherwise)
#   MUTATIONS (1000), WORKERS (4), SEED (random; printed on failure) tune it.
set -euo pipefail
ISTHMUS=$1
ISTHMUSD=$2
SRC=$3
[[ $(id -u) -eq 0 ]] || { echo "SKIP: needs root"; exit 77; }
here=$(dirname "$0")
source "$here/../lib/fabric.sh"
fabric_init
fabric_start_daemon

echo "== a VNet-to-VNet pair that must ride out every crash"
deploy_v2v "$SRC/examples"

echo "== ${MUTATIONS:-1000} CLI mutations, isthmusd killed with -9 at random"
echo "$DAEMON_PID" >"$WORK/daemon.pid"
set +e
ISTHMUS=$ISTHMUS ISTHMUSD=$ISTHMUSD STATE=$STATE PORT=$PORT PREFIX=$PREFIX WORK=$WORK \
  python3 "$here/fabric_crash.py"
rc=$?
set -e
DAEMON_PID=$(cat "$WORK/daemon.pid")  # the one the cleanup trap stops
((rc == 0)) || fail "fabric_crash.py failed"
echo "PASS: fabric_crash"
