#!/usr/bin/env bash
# The README's first command: installs what is needed (apt packages, .NET restore, build) and starts the sandbox:
# an API server emulator, a controller, three node namespaces each running the real speaker, a BIRD router and a
# client, then prints what happened and leaves it running. Tear down with:
#   dotnet run --project tests/LoadBalancer.Sandbox -c Release --no-build -- down
set -euo pipefail
cd "$(dirname "$0")/.."
# The demo runs the JIT builds; the Native AOT publish (minutes) is for CI and the images.
LB_SKIP_AOT=1 bash scripts/setup.sh
exec dotnet run --project tests/LoadBalancer.Sandbox -c Release --no-build -- up "$@"
