#!/usr/bin/env bash
# Runs every test, the privileged network tests included (needs root), with a hang guard per test project.
# Usage: scripts/test.sh [extra dotnet test args]
set -uo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
log=$(mktemp)
status=0
# Pure and API tiers in parallel per assembly; the network tier (Integration) runs on its own afterwards.
for proj in tests/*.Tests/*.Tests.csproj; do
  echo "=== $(basename "$proj" .csproj)"
  # No "|| true" after this pipeline: with pipefail a failed test run makes the pipeline fail, "|| true" would then run
  # and PIPESTATUS would be true's, so failures went unnoticed in the exit status (they were only counted below).
  timeout 40m dotnet test "$proj" --no-build -c Release --blame-hang-timeout 5m --blame-hang-dump-type none \
      --logger "console;verbosity=normal" "$@" 2>&1 | tee -a "$log" | grep -vE '^\s*Passed |^\[xUnit'
  [ "${PIPESTATUS[0]}" -eq 0 ] || status=1
done
# One closing line over all assemblies.
awk '/^ +Passed: +[0-9]+$/ { p+=$2 } /^ +Failed: +[0-9]+$/ { f+=$2 } /^ +Skipped: +[0-9]+$/ { s+=$2 }
     END { printf "%d passed, %d failed, %d skipped\n", p, f, s }' "$log"
rm -f "$log"
exit $status
