#!/usr/bin/env bash
# Installs what building and testing Isthmus needs, from Debian 12's apt (DESIGN.md §9).
# Usage: scripts/deps.sh            (as root; idempotent, quiet)
set -euo pipefail

PACKAGES=(
  # toolchain
  g++ cmake ninja-build pkg-config git clang libclang-rt-14-dev clang-format clang-tidy
  # libraries
  libssl-dev nlohmann-json3-dev libcli11-dev libcpp-httplib-dev libspdlog-dev libfmt-dev
  libsqlite3-dev libnl-route-3-dev libjwt-dev libgtest-dev libgmock-dev libbenchmark-dev prometheus-cpp-dev
  libyaml-cpp-dev
  # what tests and the demo run: namespaces, traffic, captures, and strongSwan as the interop peer
  iproute2 nftables sqlite3 curl procps iputils-ping iperf3 tcpdump ethtool python3 python3-yaml wireguard-go wireguard-tools
  strongswan-charon strongswan-swanctl libcharon-extra-plugins libstrongswan-standard-plugins
  libstrongswan-extra-plugins
  # real clients of isthmusd: Prometheus scraping /metrics, promtool linting its output; Debian's az
  prometheus azure-cli
)
# Microsoft's JavaScript SDK runs on the machine's Node.js and npm; Debian's where there are none.
command -v node >/dev/null && command -v npm >/dev/null || PACKAGES+=(nodejs npm)

if [[ $(id -u) -ne 0 ]]; then
  echo "scripts/deps.sh: run as root (it installs packages with apt-get)" >&2
  exit 1
fi

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
