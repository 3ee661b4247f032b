#!/usr/bin/env bash
# Builds Isthmus and runs every test: unit, end-to-end (real isthmusd on loopback), the unit tests
# again under AddressSanitizer + UBSan, the management plane's unit tests and REST end-to-end tests under
# ThreadSanitizer, and each fuzz target for a fixed budget; clang-format on everything, clang-tidy on the
# C++ the last commit changed. This is what CI runs (.ci/run). Each phase's start is timed in the log.
#
# The end-to-end tests spend most of their time waiting (on peers, timers, convergence), so while they
# run, clang-tidy and the sanitizer and fuzz trees build at the lowest CPU priority (`--side-builds`,
# logged to build/side-builds.log): they take what the tests leave and never slow them down.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc)

if [[ ${1:-} == --side-builds ]]; then
  # Started with setsid, this is a session of its own, and with autogroup scheduling (Debian's kernels)
  # a session competes as a whole, whatever its processes' nice: the session itself goes to nice 19.
  echo 19 >/proc/self/autogroup 2>/dev/null || true
  # A clang-tidy finding fails the run, but only after the builds: the sanitizer runs still happen.
  tidy=0
  scripts/check_tidy.sh || tidy=$?
  cmake --preset asan >/dev/null
  cmake --build --preset asan -j "$jobs"
  cmake --preset tsan >/dev/null
  cmake --build --preset tsan -j "$jobs"
  scripts/fuzz_smoke.sh --build-only
  exit "$tidy"
fi

started=$SECONDS
phase() { echo "== [$(((SECONDS - started) / 60))m$(((SECONDS - started) % 60))s] $*"; }

scripts/deps.sh

phase "npm packages of the client tests (npm ci: versions from tests/e2e/sdk/package-lock.json)"
(cd tests/e2e/sdk && npm ci --no-audit --no-fund --loglevel=error)

phase "format (clang-format, .clang-format)"
scripts/check_format.sh

phase "build (dev preset: optimized, line tables, warnings as errors)"
cmake --preset dev >/dev/null
cmake --build --preset dev -j "$jobs"

phase "tests (unit + e2e); meanwhile, at nice 19: clang-tidy on the changed files, the asan, tsan and fuzz builds"
side_log=build/side-builds.log
setsid nice -n 19 "$PWD/scripts/test.sh" --side-builds >"$side_log" 2>&1 &
side=$!
trap 'kill -TERM -- -"$side" 2>/dev/null || true' EXIT
ctest --preset dev -j "$jobs" --timeout 600
phase "tests passed; waiting for the side builds"
side_rc=0
wait "$side" || side_rc=$?
trap - EXIT
grep '^check_tidy:' "$side_log" || true
if ((side_rc != 0)) && ! grep -q '^check_tidy: .* finding' "$side_log"; then
  tail -n 80 "$side_log" >&2
  echo "test.sh: a side build failed (all of it: $side_log)" >&2
  exit 1
fi

phase "unit tests under AddressSanitizer + UndefinedBehaviorSanitizer"
ctest --preset asan -j "$jobs" --timeout 600

phase "the management plane under ThreadSanitizer (isthmusd, reconciler, REST server, fabric, store)"
ctest --preset tsan -j "$jobs" --timeout 600

phase "fuzz targets, a fixed budget each (clang, libFuzzer, ASan + UBSan)"
scripts/fuzz_smoke.sh --run-only 20

if ((side_rc != 0)); then
  grep -E '^[^ ]+:[0-9]+:[0-9]+: (warning|error): ' "$side_log" >&2 || true
  echo "test.sh: clang-tidy found the findings above in changed files (.clang-tidy; scripts/check_tidy.sh)" >&2
  exit 1
fi

phase "all tests passed"
