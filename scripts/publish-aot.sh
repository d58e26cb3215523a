#!/usr/bin/env bash
# Publishes the shipped binaries with Native AOT, as the images build them, into artifacts/aot/<rid>/<name>/:
#   controller                             -> artifacts/aot/linux-x64/controller/LoadBalancer.Controller
#   speaker                                -> artifacts/aot/linux-x64/speaker/LoadBalancer.Speaker
#   migrate tool                           -> artifacts/aot/linux-x64/migrate/LoadBalancer.Migrate
# Any trimming or AOT analysis warning fails the publish (TreatWarningsAsErrors in Directory.Build.props reaches the
# IL compiler as --warnaserror). Needs clang and zlib1g-dev (scripts/setup.sh installs them); the IL compiler
# packages come from NuGet at the version the SDK names. tests/LoadBalancer.Manifests.Tests/Images runs the results.
# Usage: scripts/publish-aot.sh [rid]   (default linux-x64)
set -euo pipefail
cd "$(dirname "$0")/.."
rid=${1:-linux-x64}
for tool in clang; do
  command -v "$tool" >/dev/null || { echo "publish-aot: $tool is required for Native AOT linking (apt-get install clang zlib1g-dev)" >&2; exit 1; }
done
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
publish() {
  local name=$1 project=$2 start=$SECONDS
  dotnet publish "$project" -c Release -r "$rid" -p:PublishAot=true -o "artifacts/aot/$rid/$name" --verbosity quiet -nologo
  echo "publish-aot: $name in $((SECONDS - start)) s -> artifacts/aot/$rid/$name"
}
publish controller controller/LoadBalancer.Controller/LoadBalancer.Controller.csproj
publish speaker speaker/LoadBalancer.Speaker/LoadBalancer.Speaker.csproj
publish migrate tools/LoadBalancer.Migrate/LoadBalancer.Migrate.csproj
