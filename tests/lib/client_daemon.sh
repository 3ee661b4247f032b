# An isthmusd of its own for tests of clients nobody here wrote (Microsoft's SDK, az): no root, no
# fabric (--fabric none), on loopback, with a temporary state directory that an EXIT trap removes after
# stopping the daemon, even when the test fails. Source it after setting ISTHMUS and ISTHMUSD.
#
#   client_daemon_init NAME      STATE=$(mktemp -d …/isthmus-NAME.XXXXXX), the cleanup trap
#   client_daemon_start [ARGS…]  isthmusd --fabric none ARGS… on 127.0.0.1:PORT (random), state
#                                STATE/daemon, log STATE/isthmusd.log, pid DAEMON_PID; exports
#                                ISTHMUS_ENDPOINT, ISTHMUS_STATE_DIR, ISTHMUS_CONFIG_DIR (STATE/cli) and
#                                waits until `isthmus account show` answers
#   fail MSG…                    FAIL: MSG and the tail of isthmusd's log on stderr, exit 1
#   expect_eq GOT WANT WHAT      fail unless GOT is WANT
#   field NAME <<<JSON           a top-level member of a JSON object (e.g. of `ad sp create-for-rbac`)
set -euo pipefail

client_daemon_init() {
  STATE=$(mktemp -d "${TMPDIR:-/tmp}/isthmus-$1.XXXXXX")
  DAEMON_PID=""
  trap client_daemon_cleanup EXIT
}

client_daemon_cleanup() {
  [[ -n $DAEMON_PID ]] && kill "$DAEMON_PID" 2>/dev/null && wait "$DAEMON_PID" 2>/dev/null
  rm -rf "$STATE"
}

fail() { echo "FAIL: $*" >&2; [[ -f $STATE/isthmusd.log ]] && tail -20 "$STATE/isthmusd.log" >&2; exit 1; }
expect_eq() { [[ $1 == "$2" ]] || fail "$3: expected '$2', got '$1'"; }
field() { python3 -c "import json,sys; print(json.load(sys.stdin)['$1'])"; }

client_daemon_start() {
  PORT=$((20000 + RANDOM % 40000))
  "$ISTHMUSD" --fabric none "$@" --listen "127.0.0.1:$PORT" --state-dir "$STATE/daemon" \
    >"$STATE/isthmusd.log" 2>&1 &
  DAEMON_PID=$!
  export ISTHMUS_ENDPOINT="https://127.0.0.1:$PORT" ISTHMUS_STATE_DIR="$STATE/daemon" ISTHMUS_CONFIG_DIR="$STATE/cli"
  for _ in $(seq 100); do
    "$ISTHMUS" account show -o none 2>/dev/null && break
    kill -0 "$DAEMON_PID" 2>/dev/null || fail "isthmusd exited"
    sleep 0.1
  done
}
