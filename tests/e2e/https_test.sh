#!/usr/bin/env bash
# isthmusd's HTTPS as clients nobody here wrote see it (curl, openssl s_client): the generated CA and
# server certificate verify with the CA and fail without it; plain HTTP reaches nothing unless
# --insecure-http asks for it; TLS 1.1 is refused; --tls-cert/--tls-key serve one's own certificate;
# the token file, CA key, server key and signing key are mode 0600 in a 0700 directory.
# Usage: tests/e2e/https_test.sh ISTHMUS ISTHMUSD
set -euo pipefail
ISTHMUS=${1:?usage: https_test.sh ISTHMUS ISTHMUSD}
ISTHMUSD=${2:?usage: https_test.sh ISTHMUS ISTHMUSD}
STATE=$(mktemp -d "${TMPDIR:-/tmp}/isthmus-https.XXXXXX")
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
  rm -rf "$STATE"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; tail -5 "$STATE"/*.log >&2 2>/dev/null; exit 1; }

# Starts isthmusd with a state dir and extra flags on $WANT_PORT (else a random port); sets PORT. Waits
# until it answers on TCP.
start() {
  local dir=$1 log=$2
  shift 2
  PORT=${WANT_PORT:-$((20000 + RANDOM % 40000))}
  "$ISTHMUSD" --fabric none --listen "127.0.0.1:$PORT" --state-dir "$dir" "$@" >"$log" 2>&1 &
  PIDS+=($!)
  for _ in $(seq 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && return 0
    kill -0 "${PIDS[-1]}" 2>/dev/null || fail "isthmusd exited: $(cat "$log")"
    sleep 0.1
  done
  fail "isthmusd did not listen"
}
mode() { stat -c %a "$1"; }

echo "https: the generated certificate"
start "$STATE/d1" "$STATE/d1.log"
P1=$PORT
CA="$STATE/d1/tls/ca.pem"
meta=$(curl -sS --fail --cacert "$CA" "https://127.0.0.1:$P1/metadata/endpoints?api-version=2015-01-01") ||
  fail "curl with the CA"
[[ $(python3 -c "import json,sys; print(json.load(sys.stdin)['authentication']['audiences'][0])" <<<"$meta") == "https://127.0.0.1:$P1/" ]] ||
  fail "metadata names another endpoint: $meta"
curl -sS --fail --cacert "$CA" "https://localhost:$P1/metadata/endpoints?api-version=2015-01-01" -o /dev/null ||
  fail "the certificate does not cover localhost"
if curl -sS "https://127.0.0.1:$P1/metadata/endpoints?api-version=2015-01-01" -o /dev/null 2>"$STATE/curl.err"; then
  fail "curl without the CA trusted isthmusd's certificate"
fi
grep -qi "certificate" "$STATE/curl.err" || fail "curl without the CA failed, but not on the certificate: $(cat "$STATE/curl.err")"
if curl -sS --max-time 5 "http://127.0.0.1:$P1/metadata/endpoints?api-version=2015-01-01" -o /dev/null 2>/dev/null; then
  fail "plain HTTP was answered without --insecure-http"
fi
# A client willing to speak TLS 1.1 (security level 0) gets the server's protocol_version alert.
tls11=$(openssl s_client -connect "127.0.0.1:$P1" -tls1_1 -cipher 'DEFAULT@SECLEVEL=0' </dev/null 2>&1 || true)
grep -q "alert protocol version" <<<"$tls11" || fail "TLS 1.1 was not refused by the server: $tls11"
for v in 1.2 1.3; do
  curl -sS --fail --cacert "$CA" "--tlsv$v" --tls-max "$v" "https://127.0.0.1:$P1/metadata/endpoints?api-version=2015-01-01" \
    -o /dev/null || fail "TLS $v was refused"
done
# The CLI trusts the CA by itself, and a bare request still needs a token.
ISTHMUS_ENDPOINT="https://127.0.0.1:$P1" ISTHMUS_STATE_DIR="$STATE/d1" ISTHMUS_CONFIG_DIR="$STATE/cli" \
  "$ISTHMUS" group create -n Https1 -l eastus -o none || fail "isthmus over HTTPS"
code=$(curl -sS --cacert "$CA" -o /dev/null -w '%{http_code}' "https://127.0.0.1:$P1/subscriptions?api-version=2022-09-01")
[[ $code == 401 ]] || fail "a request without a token: HTTP $code"
for f in token signing.key tls/ca.key tls/server.key; do
  [[ $(mode "$STATE/d1/$f") == 600 ]] || fail "$f is mode $(mode "$STATE/d1/$f"), not 600"
done
[[ $(mode "$STATE/d1/tls") == 700 ]] || fail "tls/ is mode $(mode "$STATE/d1/tls"), not 700"
# A restart keeps the CA (clients that trust it keep working) and the signing key (tokens stay valid).
ca_before=$(sha256sum <"$CA")
kill "${PIDS[0]}" && wait "${PIDS[0]}" 2>/dev/null || true
WANT_PORT=$P1 start "$STATE/d1" "$STATE/d1b.log"
[[ $(sha256sum <"$CA") == "$ca_before" ]] || fail "a restart made a new CA"

echo "https: one's own certificate"
mkdir -p "$STATE/own"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj "/CN=isthmus-own" \
  -addext "subjectAltName=IP:127.0.0.1" -keyout "$STATE/own/key.pem" -out "$STATE/own/cert.pem" 2>/dev/null
start "$STATE/d2" "$STATE/d2.log" --tls-cert "$STATE/own/cert.pem" --tls-key "$STATE/own/key.pem"
curl -sS --fail --cacert "$STATE/own/cert.pem" "https://127.0.0.1:$PORT/metadata/endpoints?api-version=2015-01-01" \
  -o /dev/null || fail "curl trusting one's own certificate"
if curl -sS --cacert "$STATE/d2/tls/ca.pem" "https://127.0.0.1:$PORT/metadata/endpoints" -o /dev/null 2>/dev/null; then
  fail "with --tls-cert, the generated CA still verified"
fi
if "$ISTHMUSD" --fabric none --listen 127.0.0.1:1 --state-dir "$STATE/d3" --tls-cert "$STATE/own/cert.pem" \
  >"$STATE/d3.log" 2>&1; then
  fail "--tls-cert without --tls-key started"
fi
grep -q -- "--tls-key" "$STATE/d3.log" || fail "--tls-cert without --tls-key: no clear error: $(cat "$STATE/d3.log")"

echo "https: plain HTTP only when asked for"
start "$STATE/d4" "$STATE/d4.log" --insecure-http
curl -sS --fail "http://127.0.0.1:$PORT/metadata/endpoints?api-version=2015-01-01" -o /dev/null ||
  fail "--insecure-http does not serve HTTP"
grep -qi "http://127.0.0.1:$PORT" "$STATE/d4.log" || fail "isthmusd does not say it serves plain HTTP"
echo "PASS: https_test"
