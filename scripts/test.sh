#!/usr/bin/env bash
# Builds Isthmus and runs every test: unit, end-to-end (real isthmusd on loopback), and the unit tests
# again under AddressSanitizer + UBSan. This is what CI runs (.ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/deps.sh
jobs=$(nproc)

echo "== npm packages of the client tests (npm ci: versions from tests/e2e/sdk/package-lock.json)"
(cd tests/e2e/sdk && npm ci --no-audit --no-fund --loglevel=error)

echo "== format (clang-format, .clang-format)"
scripts/check_format.sh

echo "== build (dev preset: optimized, debug info, warnings as errors)"
cmake --preset dev >/dev/null
cmake --build --preset dev -j "$jobs"

echo "== tests (unit + e2e)"
ctest --preset dev -j "$jobs" --timeout 600

echo "== unit tests under AddressSanitizer + UndefinedBehaviorSanitizer"
cmake --preset asan >/dev/null
cmake --build --preset asan -j "$jobs"
ctest --preset asan -j "$jobs" --timeout 600

echo "== all tests passed"
