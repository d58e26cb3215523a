#!/usr/bin/env bash
# Installs everything LoadBalancer needs on a fresh Debian machine (as root) and builds it.
# Used by both README commands (demo and tests) and by CI; safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

# clang and zlib1g-dev: Native AOT linking (scripts/publish-aot.sh).
APT_PACKAGES=(iproute2 nftables bird2 frr gobgpd exabgp arping ndisc6 tcpdump conntrack iputils-ping socat curl procps clang zlib1g-dev)
if [ "$(id -u)" -ne 0 ]; then
  echo "setup: run as root (the network tests and the sandbox create namespaces and raw sockets)" >&2
  exit 1
fi
missing=()
for p in "${APT_PACKAGES[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
command -v dotnet >/dev/null || { echo "setup: the .NET 10 SDK (dotnet) is required" >&2; exit 1; }
command -v kubectl >/dev/null || echo "setup: note: kubectl is not installed; the kubectl tests will fail and name it" >&2

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
echo "setup: dotnet restore (the first run downloads NuGet packages)"
dotnet restore LoadBalancer.slnx --verbosity quiet
echo "setup: dotnet build -c Release (a few minutes on a small machine; quicker when already built)"
dotnet build LoadBalancer.slnx --no-restore -c Release --verbosity quiet -nologo
# The controller, speaker and migrate tool as the images ship them (Native AOT, zero trimming/AOT warnings);
# tests/LoadBalancer.Manifests.Tests/Images runs these binaries. LB_SKIP_AOT=1 skips it (those tests then fail and say so).
if [ "${LB_SKIP_AOT:-0}" != 1 ]; then bash scripts/publish-aot.sh; fi
