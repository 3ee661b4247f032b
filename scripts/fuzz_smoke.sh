#!/usr/bin/env bash
# Builds the fuzz preset's targets (clang, libFuzzer, ASan + UBSan) and runs each for a fixed budget
# from its in-tree corpus (fuzz/corpus/<name>, read only: what libFuzzer finds goes to a temporary
# directory). A crash, a sanitizer report, a leak or a timeout fails the run and leaves the input in
# build/fuzz/artifacts/. CI runs it (scripts/test.sh: --build-only while other tests run, then
# --run-only); by hand: scripts/fuzz_smoke.sh [--build-only | --run-only] [SECONDS_PER_TARGET].
#
#   ike_message_fuzz    IKEv2 message decoding (wire/)          esp_inbound_fuzz  ESP inbound (dataplane/)
#   ike_responder_fuzz  a responder engine fed datagrams        rest_fuzz         whole REST requests (Router)
set -euo pipefail
cd "$(dirname "$0")/.."
build=1 run=1
case ${1:-} in
  --build-only) run=0; shift ;;
  --run-only) build=0; shift ;;
esac
budget=${1:-20}
targets=(ike_message_fuzz ike_responder_fuzz esp_inbound_fuzz rest_fuzz)

if ((build)); then
  cmake --preset fuzz >/dev/null
  cmake --build --preset fuzz -j "$(nproc)" --target "${targets[@]}"
fi
((run)) || exit 0

work=$(mktemp -d /tmp/isthmus-fuzz.XXXXXX)
trap 'rm -rf "$work"' EXIT
artifacts=$PWD/build/fuzz/artifacts
mkdir -p "$artifacts"
for t in "${targets[@]}"; do
  seeds=fuzz/corpus/${t%_fuzz}
  mkdir -p "$work/$t"
  args=("$work/$t")
  [[ -d $seeds ]] && args+=("$seeds")
  # -timeout: one input taking over 10 s is a hang; -rss_limit_mb: a blow-up is a failure, not an OOM.
  if ! "build/fuzz/fuzz/$t" -max_total_time="$budget" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$artifacts/$t-" "${args[@]}" >"$work/$t.log" 2>&1; then
    tail -n 60 "$work/$t.log" >&2
    echo "fuzz_smoke: $t failed; the input is in $artifacts" >&2
    exit 1
  fi
  runs=$(grep -Eo 'stat::number_of_executed_units: *[0-9]+' "$work/$t.log" | grep -Eo '[0-9]+$' || echo '?')
  echo "fuzz_smoke: $t: $runs inputs in ${budget} s, no crash ($(find "$seeds" -type f 2>/dev/null | wc -l) seeds)"
done
