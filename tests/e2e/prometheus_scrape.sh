#!/usr/bin/env bash
# Debian's Prometheus (2.42, /usr/bin/prometheus) as a real client of isthmusd's /metrics (DESIGN.md §8):
# it scrapes with the bearer token as a user's prometheus.yml would (docs/metrics.md), so what it
# ingests is what a user's dashboards would see.
#
# Source it from a test:
#   source tests/e2e/prometheus_scrape.sh
#   prom_start BASE_URL TOKEN_FILE [CA_FILE]
#       starts prometheus on a free 127.0.0.1 port with a temp config and storage (scrape_interval 1s,
#       target BASE_URL + /metrics), makes sure it is stopped on EXIT, and waits until the target is up.
#       CA_FILE: the CA that signed isthmusd's certificate when BASE_URL is https.
#   prom_query EXPR     instant query; one line per series: `name{labels} value` (empty for no series)
#   prom_value EXPR     the value of EXPR, which must give exactly one series (waits for it to appear)
#   prom_stop           stops prometheus and removes its temp dir; safe to call twice
#   PROM_URL            prometheus' own base URL, for anything else (/api/v1/...)
# Or run it:
#   tests/e2e/prometheus_scrape.sh BASE_URL TOKEN_FILE [CA_FILE]
#       prints isthmus_connection_ingress_bytes_total (one line per connection) and stops prometheus.
#
# Prometheus never outlives the caller: prom_start chains prom_stop into the caller's EXIT trap (or
# registers it with tests/lib/netns.sh's ns_on_cleanup), and a watchdog stops it should the caller die
# without running traps (SIGKILL). A caller that installs its own EXIT trap after prom_start must call
# prom_stop from it.

# The functions return explicit statuses and turn errexit off inside (`local -` restores the caller's
# options on return), so a caller's `set -e` cannot abort prom_stop half-way through a trap.

PROM_BIN=${PROM_BIN:-/usr/bin/prometheus}
# How long to wait for prometheus to start and for the first good scrape. A scrape every 1 s and a
# start-up under 2 s here make 30 s generous; a slow CI machine should not turn into a flaky test.
PROM_TIMEOUT=${PROM_TIMEOUT:-30}
PROM_DIR=""
PROM_PID=""
PROM_WATCHDOG_PID=""
PROM_URL=""

_prom_log() { echo "prometheus_scrape: $*" >&2; }

_prom_free_port() {
  # Bind port 0 and report what the kernel chose; the small race until prometheus binds it is covered
  # by prom_start retrying.
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# YAML single-quoted scalar: only ' needs escaping (as '').
_prom_yaml_quote() { printf "'%s'" "${1//\'/\'\'}"; }

# _prom_write_config BASE_URL TOKEN_FILE CA_FILE > prometheus.yml
_prom_write_config() {
  local base=$1 token=$2 ca=$3
  if [[ ! $base =~ ^(https?)://([^/]+)(/.*)?$ ]]; then
    _prom_log "base URL must be http(s)://host[:port][/prefix], got '$base'"
    return 1
  fi
  local scheme=${BASH_REMATCH[1]} target=${BASH_REMATCH[2]} prefix=${BASH_REMATCH[3]%/}
  cat <<EOF
global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: isthmus
    scheme: $scheme
    metrics_path: $(_prom_yaml_quote "$prefix/metrics")
    authorization:
      type: Bearer
      credentials_file: $(_prom_yaml_quote "$token")
EOF
  if [[ -n $ca ]]; then
    cat <<EOF
    tls_config:
      ca_file: $(_prom_yaml_quote "$ca")
EOF
  fi
  cat <<EOF
    static_configs:
      - targets: [$(_prom_yaml_quote "$target")]
EOF
}

# _prom_json PYTHON-EXPR: evaluates EXPR with `d` bound to the JSON document on stdin.
_prom_json() { python3 -c "import json, sys; d = json.load(sys.stdin); $1"; }

_prom_install_cleanup() {
  local -
  set +e
  if declare -F ns_on_cleanup >/dev/null; then
    ns_on_cleanup prom_stop
    return
  fi
  # Keep whatever EXIT trap the caller has, and hand it the exit status in $? (cleanups such as
  # netns.sh's start with `rc=$?`). `(exit N) && :` sets $? without tripping a caller's errexit.
  local previous=":"
  eval "set -- $(trap -p EXIT)"
  [[ $# -ge 3 ]] && previous=$3
  # shellcheck disable=SC2064,SC2154  # $previous is expanded now on purpose; _prom_rc is set by the trap
  trap "_prom_rc=\$?; prom_stop; (exit \$_prom_rc) && :; $previous" EXIT
}

prom_stop() {
  local -
  set +e
  [[ -n $PROM_WATCHDOG_PID ]] && kill "$PROM_WATCHDOG_PID" 2>/dev/null
  if [[ -n $PROM_PID ]] && kill -0 "$PROM_PID" 2>/dev/null; then
    kill -TERM "$PROM_PID" 2>/dev/null
    for _ in $(seq 50); do kill -0 "$PROM_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$PROM_PID" 2>/dev/null
    wait "$PROM_PID" 2>/dev/null
  fi
  [[ -n $PROM_WATCHDOG_PID ]] && wait "$PROM_WATCHDOG_PID" 2>/dev/null
  [[ -n $PROM_DIR ]] && rm -rf "$PROM_DIR"
  PROM_PID="" PROM_WATCHDOG_PID="" PROM_DIR="" PROM_URL=""
  return 0
}

# _prom_launch: starts prometheus on a fresh free port; 0 once it answers /-/ready.
_prom_launch() {
  local -
  set +e
  local port deadline
  port=$(_prom_free_port) || return 1
  rm -rf "$PROM_DIR/data"
  "$PROM_BIN" --config.file="$PROM_DIR/prometheus.yml" --storage.tsdb.path="$PROM_DIR/data" \
    --web.listen-address="127.0.0.1:$port" --log.level=warn >>"$PROM_DIR/prometheus.log" 2>&1 </dev/null &
  PROM_PID=$!
  PROM_URL="http://127.0.0.1:$port"
  deadline=$((SECONDS + PROM_TIMEOUT))
  while ((SECONDS < deadline)); do
    kill -0 "$PROM_PID" 2>/dev/null || { wait "$PROM_PID" 2>/dev/null; PROM_PID=""; return 1; }
    curl -fsS -o /dev/null "$PROM_URL/-/ready" 2>/dev/null && return 0
    sleep 0.2
  done
  return 1
}

# prom_wait_up: waits until the isthmus target's last scrape succeeded.
prom_wait_up() {
  local -
  set +e
  local deadline=$((SECONDS + PROM_TIMEOUT)) health="" targets=""
  while ((SECONDS < deadline)); do
    targets=$(curl -fsS "$PROM_URL/api/v1/targets?state=active" 2>/dev/null) || targets=""
    if [[ -n $targets ]]; then
      health=$(_prom_json 'print(" ".join(t["health"] for t in d["data"]["activeTargets"]))' <<<"$targets")
      [[ $health == up ]] && return 0
    fi
    sleep 0.25
  done
  _prom_log "target not up after ${PROM_TIMEOUT}s (health: ${health:-none})"
  [[ -n $targets ]] &&
    _prom_json 'print("\n".join(t["scrapeUrl"] + ": " + t["lastError"] for t in d["data"]["activeTargets"]))' \
      <<<"$targets" >&2
  tail -20 "$PROM_DIR/prometheus.log" >&2
  return 1
}

prom_start() {
  local -
  set +e
  local base=${1:?usage: prom_start BASE_URL TOKEN_FILE [CA_FILE]} token=${2:?usage: prom_start BASE_URL TOKEN_FILE [CA_FILE]}
  local ca=${3:-}
  [[ -x $PROM_BIN ]] || { _prom_log "$PROM_BIN not found: apt-get install prometheus"; return 1; }
  [[ -r $token ]] || { _prom_log "token file $token not readable"; return 1; }
  [[ -z $PROM_PID ]] || { _prom_log "already started ($PROM_URL)"; return 1; }
  # Prometheus resolves relative paths against its config file's directory, which is the temp dir.
  token=$(realpath "$token")
  [[ -n $ca ]] && ca=$(realpath "$ca")

  PROM_DIR=$(mktemp -d "${TMPDIR:-/tmp}/isthmus-prom.XXXXXX")
  _prom_install_cleanup
  _prom_write_config "$base" "$token" "$ca" >"$PROM_DIR/prometheus.yml" || { prom_stop; return 1; }

  local attempt
  for attempt in 1 2 3; do
    _prom_launch && break
    [[ -n $PROM_PID ]] && { kill -KILL "$PROM_PID" 2>/dev/null; wait "$PROM_PID" 2>/dev/null; PROM_PID=""; }
    if ((attempt == 3)); then
      _prom_log "prometheus did not start"
      tail -20 "$PROM_DIR/prometheus.log" >&2
      prom_stop
      return 1
    fi
  done

  # The watchdog: if the caller (the test script, $$) dies without running its traps, stop prometheus
  # and remove its files within a second. Its output goes nowhere, so it never holds a test's pipe.
  local parent=$$ pid=$PROM_PID dir=$PROM_DIR
  (
    while kill -0 "$parent" 2>/dev/null && kill -0 "$pid" 2>/dev/null; do sleep 1; done
    kill -KILL "$pid" 2>/dev/null
    kill -0 "$parent" 2>/dev/null || rm -rf "$dir"
  ) </dev/null >/dev/null 2>&1 &
  PROM_WATCHDOG_PID=$!

  prom_wait_up || { prom_stop; return 1; }
}

prom_query() {
  local -
  set +e
  local expr=${1:?usage: prom_query EXPR} body
  body=$(curl -fsS --get --data-urlencode "query=$expr" "$PROM_URL/api/v1/query") || {
    _prom_log "query failed: $expr"
    return 1
  }
  _prom_json '
if d.get("status") != "success":
    sys.exit("prometheus_scrape: query error: " + d.get("error", "?"))
r = d["data"]
if r["resultType"] == "scalar":
    print(r["result"][1])
    sys.exit(0)
for s in r["result"]:
    m = dict(s["metric"])
    name = m.pop("__name__", "")
    labels = ",".join("%s=%s" % (k, json.dumps(v)) for k, v in sorted(m.items()))
    print("%s{%s} %s" % (name, labels, s["value"][1]))
' <<<"$body"
}

prom_value() {
  local -
  set +e
  local expr=${1:?usage: prom_value EXPR} deadline=$((SECONDS + PROM_TIMEOUT)) lines=""
  # A series appears one scrape after it is first exported: wait for it rather than race it.
  while ((SECONDS < deadline)); do
    lines=$(prom_query "$expr") || return 1
    if [[ -n $lines && $(wc -l <<<"$lines") -eq 1 ]]; then
      echo "${lines##* }"
      return 0
    fi
    sleep 0.25
  done
  _prom_log "expected exactly one series for $expr, got: ${lines:-none}"
  return 1
}

# Run directly: one scrape check, printing what Prometheus ingested.
if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
  set -euo pipefail
  if [[ $# -lt 2 ]]; then
    echo "usage: $0 BASE_URL TOKEN_FILE [CA_FILE]" >&2
    exit 2
  fi
  prom_start "$@"
  deadline=$((SECONDS + PROM_TIMEOUT))
  out=""
  while ((SECONDS < deadline)); do
    out=$(prom_query isthmus_connection_ingress_bytes_total)
    [[ -n $out ]] && break
    sleep 0.25
  done
  if [[ -z $out ]]; then
    _prom_log "no isthmus_connection_ingress_bytes_total series after ${PROM_TIMEOUT}s"
    exit 1
  fi
  echo "$out"
fi
